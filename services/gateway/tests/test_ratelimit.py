from zhiyuan_gateway.core.ratelimit import SlidingWindowLimiter


def test_sliding_window() -> None:
    now = [0.0]
    limiter = SlidingWindowLimiter(2, 60.0, clock=lambda: now[0])
    assert limiter.hit("a") is None
    now[0] = 30.0
    assert limiter.hit("a") is None
    assert limiter.hit("a") == 30
    assert limiter.hit("b") is None
    now[0] = 60.5
    assert limiter.hit("a") is None
    assert limiter.hit("a") == 30


def test_memory_is_bounded() -> None:
    limiter = SlidingWindowLimiter(1, 60.0, max_keys=3, clock=lambda: 0.0)
    for key in "abcd":
        assert limiter.hit(key) is None
    assert limiter.hit("a") is None  # forgotten, so allowed again
    assert limiter.hit("d") == 60
