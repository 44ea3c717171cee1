"""Articles for the reliability tests: the news corpus beside the project
when it is there, else generated French text of the same shape."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Dict, List

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora" / "orangesum-fr-news.jsonl.gz"

_WORDS = (
    "Syrie Alep Damas Moscou Washington Lavrov Kerry Genève Astana trêve cessez-le-feu négociations rebelles "
    "armée régime opposition frappes aériennes humanitaire convoi réfugiés frontière Turquie Iran Nations unies "
    "diplomatie accord sommet ministre président gouvernement élections économie croissance chômage grève "
    "réforme budget impôts santé hôpital école université justice tribunal enquête police sécurité"
).split()


def articles(count: int) -> List[Dict[str, str]]:
    """``count`` articles with an id, a title and a body of several paragraphs."""
    if CORPUS.exists():
        found: List[Dict[str, str]] = []
        with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                if record.get("text", "").strip():
                    found.append({"id": record["id"], "title": record["title"], "text": record["text"]})
                    if len(found) == count:
                        break
        if len(found) == count:
            return found
    chance = random.Random(7)
    made = []
    for number in range(count):
        paragraphs = [
            " ".join(chance.choice(_WORDS) for _ in range(chance.randint(30, 90))).capitalize() + "."
            for _ in range(chance.randint(2, 6))
        ]
        made.append({"id": f"a{number}", "title": f"Dépêche {number}", "text": "\n\n".join(paragraphs)})
    return made


def write_jsonl(path: Path, records: List[Dict[str, str]], suffix: str = "") -> Path:
    """Write ``records`` as JSON lines, ``suffix`` appended to every text
    (a second version of the same articles)."""
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps({**record, "text": record["text"] + suffix}, ensure_ascii=False) + "\n")
    return path
