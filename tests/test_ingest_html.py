from __future__ import annotations

import pytest

from searchlib.ingest._html import HtmlText, html_to_text
from work import grows_linearly

NEWS_PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
  <meta charset="utf-8">
  <title>Réforme des retraites : le gouvernement recule - Le Quotidien</title>
  <meta property="article:published_time" content="2023-03-16T14:05:00+01:00">
  <style>.article { font-family: "Bonjour Sans"; }</style>
  <script>window.dataLayer = [{rubrique: "Politique", auteur: "Manifestation"}];</script>
</head>
<body>
  <div id="cookie-banner"><p>Nous utilisons des cookies pour améliorer votre expérience.</p>
    <button>Tout accepter</button></div>
  <header class="site-header">
    <a href="/" class="logo">Le Quotidien</a>
    <nav><ul><li><a href="/">Accueil</a></li><li><a href="/politique">Politique</a></li>
      <li><a href="/recherche">Rechercher</a></li></ul></nav>
  </header>
  <nav class="breadcrumb"><a href="/">Accueil</a> &gt; <a href="/politique">Politique</a></nav>
  <main>
    <article>
      <header>
        <h1>Réforme des retraites : le gouvernement recule</h1>
        <p class="byline">Par Jeanne Dupont, publié le <time datetime="2023-03-15">15 mars 2023</time></p>
      </header>
      <div class="share-buttons"><a>Partager sur Facebook</a><a>Tweeter</a></div>
      <p>Le Premier ministre a annoncé mercredi soir que l&#8217;armée ne serait pas mobilisée,
         contrairement à ce qu&rsquo;affirmaient plusieurs responsables syndicaux.</p>
      <p>Interrogé à la sortie de Matignon, il a lancé&nbsp;: &laquo;&nbsp;Bonjour&nbsp;&raquo; aux
         journalistes, avant de s&#x2019;engouffrer dans sa voiture.</p>
      <blockquote>Nous irons jusqu&apos;au bout de la concertation.</blockquote>
      <p>La réforme doit être examinée à l&#39;&eacute;t&eacute; par l&#8217;Assemblée nationale.</p>
    </article>
    <aside class="related-articles"><h2>Sur le même sujet</h2>
      <ul><li><a>Grève du 7 mars : les chiffres</a></li></ul></aside>
  </main>
  <footer><p>Mentions légales</p><p>© Le Quotidien 2023</p></footer>
  <script>console.log("Accueil chargé");</script>
</body>
</html>
"""

FURNITURE = [
    "Accueil",
    "Rechercher",
    "Politique",
    "cookies",
    "Tout accepter",
    "Partager",
    "Tweeter",
    "Sur le même sujet",
    "Grève du 7 mars",
    "Mentions légales",
    "Le Quotidien 2023",
    "dataLayer",
    "Manifestation",
    "Bonjour Sans",
    "font-family",
]


def lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line]


def test_article_paragraphs_are_kept_each_on_its_own_line() -> None:
    result = html_to_text(NEWS_PAGE)
    assert isinstance(result, HtmlText)
    assert lines(result.text) == [
        "Réforme des retraites : le gouvernement recule",
        "Par Jeanne Dupont, publié le 15 mars 2023",
        (
            "Le Premier ministre a annoncé mercredi soir que l\u2019armée ne serait pas mobilisée, "
            "contrairement à ce qu\u2019affirmaient plusieurs responsables syndicaux."
        ),
        (
            "Interrogé à la sortie de Matignon, il a lancé\u00a0: «\u00a0Bonjour\u00a0» aux journalistes, "
            "avant de s\u2019engouffrer dans sa voiture."
        ),
        "Nous irons jusqu'au bout de la concertation.",
        "La réforme doit être examinée à l'été par l\u2019Assemblée nationale.",
    ]


def test_paragraphs_are_separated_by_one_blank_line() -> None:
    text = html_to_text(NEWS_PAGE).text
    assert "\n\n\n" not in text
    assert text.split("\n\n")[0] == "Réforme des retraites : le gouvernement recule"
    assert text == text.strip()
    assert all(line == line.strip() for line in text.split("\n"))


@pytest.mark.parametrize("word", FURNITURE)
def test_site_furniture_is_dropped(word: str) -> None:
    assert word not in html_to_text(NEWS_PAGE).text


def test_metadata_of_the_news_page() -> None:
    result = html_to_text(NEWS_PAGE)
    # The <title> ends in the site name and the rest equals the <h1>.
    assert result.title == "Réforme des retraites : le gouvernement recule"
    assert result.date == "2023-03-16T14:05:00+01:00"
    assert result.language == "fr"


def test_title_keeps_a_site_name_the_h1_does_not_explain() -> None:
    page = "<title>  Météo :\n  orages   en Bretagne | AFP </title><h1>Alerte orange</h1>"
    assert html_to_text(page).title == "Météo : orages en Bretagne | AFP"


def test_site_name_before_the_title_is_stripped_too() -> None:
    page = "<title>AFP | Séisme au Maroc</title><article><h1>Séisme au Maroc</h1></article>"
    assert html_to_text(page).title == "Séisme au Maroc"


def test_title_falls_back_to_the_first_h1() -> None:
    page = "<html><body><h1>Incendie à  Marseille</h1><h1>Autre</h1><p>Les pompiers sont sur place.</p></body></html>"
    assert html_to_text(page).title == "Incendie à Marseille"


def test_title_is_none_without_title_or_h1() -> None:
    result = html_to_text("<html><body><h2>Brève</h2><p>Rien à signaler.</p></body></html>")
    assert result.title is None
    assert result.date is None
    assert result.language is None


def test_h1_of_the_site_banner_is_not_the_title() -> None:
    page = "<header><h1>Le Quotidien</h1></header><article><h1>Crue de la Seine</h1></article>"
    assert html_to_text(page).title == "Crue de la Seine"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<meta name="date" content="2021-06-01">', "2021-06-01"),
        ('<meta itemprop="datePublished" content="2020-02-29">', "2020-02-29"),
        (
            '<meta name="date" content="2021-06-01"><meta property="article:published_time" content="2021-05-31">',
            "2021-05-31",
        ),
    ],
)
def test_date_from_meta(head: str, expected: str) -> None:
    assert html_to_text(f"<html><head>{head}</head><body><p>Texte.</p></body></html>").date == expected


def test_date_from_time_inside_the_article_only() -> None:
    page = (
        '<p>Mis à jour <time datetime="2024-01-01">hier</time></p>'
        '<article><p>Publié le <time datetime="2019-11-05T08:00">5 novembre</time>.</p></article>'
    )
    assert html_to_text(page).date == "2019-11-05T08:00"
    assert html_to_text('<p><time datetime="2024-01-01">hier</time></p>').date is None


def test_date_of_a_related_teaser_is_not_the_page_date() -> None:
    page = (
        '<aside><article><time itemprop="datePublished" datetime="2010-01-01">x</time></article></aside>'
        '<article><p>Le <time datetime="2022-09-09">9 septembre</time>.</p></article>'
    )
    assert html_to_text(page).date == "2022-09-09"


def test_document_without_article_keeps_the_body_text() -> None:
    page = """<html><body>
      <nav><a>Accueil</a></nav>
      <div class="content"><h2>Communiqué</h2>
        <div>La mairie informe les habitants que la piscine sera fermée lundi.</div>
        Texte libre hors paragraphe.
      </div>
      <footer>Mentions légales</footer>
    </body></html>"""
    assert lines(html_to_text(page).text) == [
        "Communiqué",
        "La mairie informe les habitants que la piscine sera fermée lundi.",
        "Texte libre hors paragraphe.",
    ]


def test_short_article_falls_back_to_the_whole_body() -> None:
    page = "<div><p>Introduction de la page hors article.</p></div><article><p>Trop court.</p></article>"
    assert lines(html_to_text(page).text) == ["Introduction de la page hors article.", "Trop court."]


def test_long_article_is_preferred_to_the_rest_of_the_body() -> None:
    body = " ".join(["mot"] * 30)
    page = f"<div><p>Texte promotionnel autour.</p></div><article><p>{body}</p></article>"
    assert html_to_text(page).text == body


def test_main_is_used_when_there_is_no_article() -> None:
    body = " ".join(["contenu"] * 30)
    page = f"<div><p>Bandeau promotionnel.</p></div><main><p>{body}</p></main>"
    assert html_to_text(page).text == body


@pytest.mark.parametrize(
    "element",
    [
        '<p hidden>Texte caché</p>',
        '<p aria-hidden="true">Texte caché</p>',
        '<div style="color: red; display : none">Texte caché</div>',
        '<span style="visibility:hidden">Texte caché</span>',
        '<div role="navigation">Texte caché</div>',
        '<div role="complementary">Texte caché</div>',
        '<ul class="main-menu">Texte caché</ul>',
        '<div class="socialShare">Texte caché</div>',
        '<div id="newsletter_signup">Texte caché</div>',
        '<div class="bloc pub">Texte caché</div>',
        "<noscript>Texte caché</noscript>",
        "<template><p>Texte caché</p></template>",
        "<svg><title>Texte caché</title><text>Texte caché</text></svg>",
        "<iframe>Texte caché</iframe>",
        "<form><label>Texte caché</label></form>",
        "<select><option>Texte caché</option></select>",
    ],
)
def test_hidden_and_furniture_elements_are_dropped(element: str) -> None:
    page = f"<body><div><p>Avant.</p>{element}<p>Après.</p></div></body>"
    assert lines(html_to_text(page).text) == ["Avant.", "Après."]


def test_layout_classes_do_not_hide_the_page() -> None:
    page = (
        '<body class="sidebar-left"><div class="layout has-sidebar"><div class="content-sidebar-wrap">'
        '<p>Le texte reste.</p><div class="related">Lire aussi</div></div></div></body>'
    )
    assert html_to_text(page).text == "Le texte reste."


def test_a_wrapper_with_a_furniture_name_does_not_empty_the_page() -> None:
    page = '<div id="pub"><div class="menu-page"><p>Seul contenu de la page.</p></div></div>'
    assert html_to_text(page).text == "Seul contenu de la page."


def test_inline_elements_join_with_single_spaces() -> None:
    page = "<p>Le  <b>maire</b>\n   de <a href='#'>Lyon</a>, <em>Grégory</em>D<i>oucet</i>\t a parlé.</p>"
    assert html_to_text(page).text == "Le maire de Lyon, GrégoryDoucet a parlé."


def test_non_breaking_spaces_are_kept() -> None:
    page = "<p>Pourquoi\u202f? Parce que&nbsp;!</p><p>&nbsp;</p><p>Fin.</p>"
    assert lines(html_to_text(page).text) == ["Pourquoi\u202f? Parce que\u00a0!", "Fin."]


def test_br_splits_lines_without_a_blank_line() -> None:
    page = "<p>12 rue de la Paix<br>75002 Paris<br/>France</br>Europe</p><p>Suite.</p>"
    assert html_to_text(page).text == "12 rue de la Paix\n75002 Paris\nFrance\nEurope\n\nSuite."


def test_h1_title_is_one_line() -> None:
    assert html_to_text("<h1>Crise agricole :<br>les blocages continuent</h1>").title == (
        "Crise agricole : les blocages continuent"
    )


def test_pre_keeps_its_line_breaks() -> None:
    page = "<p>Le poème :</p><pre>\nLes sanglots longs\n  Des violons\nDe l'automne</pre><p>Verlaine.</p>"
    assert lines(html_to_text(page).text) == [
        "Le poème :",
        "Les sanglots longs",
        "Des violons",
        "De l'automne",
        "Verlaine.",
    ]


def test_list_items_and_table_rows_are_paragraphs() -> None:
    page = (
        "<ul><li>Premier point<li>Deuxième point</ul>"
        "<table><tr><th>Ville</th><th>Habitants</th></tr><tr><td>Nantes</td><td>320 000</td></table>"
    )
    assert lines(html_to_text(page).text) == [
        "Premier point",
        "Deuxième point",
        "Ville Habitants",
        "Nantes 320 000",
    ]


def test_image_alt_text_is_not_text() -> None:
    page = '<figure><img src="a.jpg" alt="Photo du préfet"><figcaption>Le préfet, lundi.</figcaption></figure>'
    assert html_to_text(page).text == "Le préfet, lundi."


def test_empty_input() -> None:
    assert html_to_text("") == HtmlText(text="", title=None, date=None, language=None)


def test_plain_text_input_is_kept() -> None:
    assert html_to_text("Simple texte sans balises &amp; rien d'autre.").text == (
        "Simple texte sans balises & rien d'autre."
    )


def test_unclosed_paragraphs_and_stray_end_tags() -> None:
    page = "<div><p>Premier paragraphe<p>Deuxième paragraphe</div></div></span><p>Troisième</p></b>"
    assert lines(html_to_text(page).text) == ["Premier paragraphe", "Deuxième paragraphe", "Troisième"]


def test_unclosed_nav_ends_with_its_parent() -> None:
    page = (
        "<body><div class='top'><nav><ul><li>Accueil<li>Rechercher</div>"
        "<p>Le texte après la navigation cassée.</p></body>"
    )
    text = html_to_text(page).text
    assert text == "Le texte après la navigation cassée."


def test_unclosed_skipped_paragraph_ends_at_the_next_one() -> None:
    page = '<div><p class="share">Partager<p>Le contenu suit.</div>'
    assert html_to_text(page).text == "Le contenu suit."


def test_unclosed_nav_at_top_level_skips_to_the_end_without_error() -> None:
    result = html_to_text("<p>Début.</p><nav><a>Accueil</a><p>Perdu")
    assert result.text == "Début."


def test_unclosed_script_does_not_leak() -> None:
    assert html_to_text("<p>Texte.</p><script>var accueil = '<p>Accueil</p>';").text == "Texte."


def test_text_after_the_head_is_body_text() -> None:
    assert html_to_text("<html><head><title>Titre</title>Texte sans balise.").text == "Texte sans balise."


def test_furniture_names_do_not_hide_main() -> None:
    page = (
        '<nav>Accueil</nav><main class="content-area sidebar-right"><p>Le texte principal.</p></main>'
        '<div class="related">Lire aussi</div>'
    )
    assert html_to_text(page).text == "Le texte principal."


def test_missing_head_end_tag_does_not_hide_the_body() -> None:
    page = "<html><head><title>Titre</title><meta name='date' content='2020'><p>Le corps du texte.</p>"
    result = html_to_text(page)
    assert result.text == "Le corps du texte."
    assert result.title == "Titre"
    assert result.date == "2020"


@pytest.mark.parametrize(
    "markup",
    [
        "<",
        "</",
        "<p",
        "<<<>>>",
        "<div><nav>",
        "</nav></nav></div><p>Ok</p>",
        "<p>a</p><!-- commentaire non fermé",
        "<![CDATA[x]]><?php echo 1; ?><!DOCTYPE>",
        "<p title='non fermé>Texte</p>",
        "&#xD800; &#0; &bogus; &",
        "<table><td>x<tr><li>y</table></li>",
        "<br></br></br><hr/></hr>",
        "<header><article><header><h1>T</h1></header>",
        "<pre>" * 50 + "x",
        "<div>" * 2000 + "profond" + "</div>" * 1000,
    ],
)
def test_malformed_markup_does_not_raise(markup: str) -> None:
    result = html_to_text(markup)
    assert isinstance(result.text, str)
    assert "\n\n\n" not in result.text


def test_deeply_nested_text_survives() -> None:
    assert html_to_text("<div>" * 2000 + "profond" + "</div>" * 1000).text == "profond"


def test_header_inside_article_is_content_but_its_nav_is_not() -> None:
    page = (
        "<article><header><nav><a>Politique</a></nav><h1>Le Sénat vote le budget</h1></header>"
        "<p>Le texte a été adopté.</p></article>"
    )
    assert lines(html_to_text(page).text) == ["Le Sénat vote le budget", "Le texte a été adopté."]


def test_decomposed_accents_are_composed() -> None:
    assert html_to_text("<p>cafe\u0301</p>").text == "café"


def test_unclosed_list_item_does_not_swallow_the_next_one() -> None:
    page = '<ul><li class="share">Partager<li>Les écoles rouvrent lundi.<li>Les cantines aussi.</ul>'
    assert lines(html_to_text(page).text) == ["Les écoles rouvrent lundi.", "Les cantines aussi."]


def test_svg_title_is_not_the_page_title() -> None:
    page = "<body><svg><title>Icône loupe</title></svg><h1>Pollution à Lyon</h1></body>"
    assert html_to_text(page).title == "Pollution à Lyon"


def test_empty_h1_logo_is_not_the_title() -> None:
    page = '<h1><img src="logo.png" alt="Le Quotidien"></h1><h1>Le vrai titre</h1><p>Texte.</p>'
    assert html_to_text(page).title == "Le vrai titre"


def test_page_wide_form_keeps_its_text() -> None:
    page = (
        '<body><form method="post" id="aspnetForm"><input type="hidden" name="__VIEWSTATE" value="x">'
        "<p>Le conseil municipal a voté la subvention.</p>"
        "<div><form><label>Rechercher</label></form></div></form></body>"
    )
    assert html_to_text(page).text == "Le conseil municipal a voté la subvention."


def test_control_characters_are_dropped() -> None:
    assert html_to_text("<p>Pa\x00ris\x07 est\x1b la capitale.</p>").text == "Paris est la capitale."


def _deep_unclosed_markup_with_stray_end_tags(count: int) -> str:
    return "<body>" + "<span>mot " * count + "</div>" * count


def test_stray_end_tags_under_deep_unclosed_markup_stay_linear() -> None:
    assert html_to_text(_deep_unclosed_markup_with_stray_end_tags(20000)).text.count("mot") == 20000
    # A scan of the open elements per stray tag made this quadratic (a
    # minute for 20,000); benchmarks/hostile.py times it.
    assert grows_linearly(lambda count: html_to_text(_deep_unclosed_markup_with_stray_end_tags(count)), 20000)
