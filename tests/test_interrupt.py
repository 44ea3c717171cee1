"""The command line's Ctrl-C: noted first, taken where the run can stop."""

from __future__ import annotations

import os
import signal
import time

import pytest

from searchlib._interrupt import DeferredInterrupt


def _ctrl_c() -> None:
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.05)  # the handler runs in the main thread, between two instructions


@pytest.fixture(autouse=True)
def python_handles_ctrl_c():
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("the test runner handles SIGINT itself")


def test_the_first_ctrl_c_waits_for_a_check_and_the_second_interrupts_at_once():
    with DeferredInterrupt() as interrupt:
        _ctrl_c()
        assert interrupt.requested
        with pytest.raises(KeyboardInterrupt):
            interrupt.check()
        with pytest.raises(KeyboardInterrupt):
            _ctrl_c()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_nothing_is_requested_without_ctrl_c_and_python_gets_its_handler_back():
    with DeferredInterrupt() as interrupt:
        interrupt.check()
        assert not interrupt.requested
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(KeyboardInterrupt):
        _ctrl_c()


def test_an_ignored_ctrl_c_stays_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with DeferredInterrupt() as interrupt:
            _ctrl_c()
            assert not interrupt.requested
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
