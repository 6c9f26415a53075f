"""Latency of the live path at gentle paces: a committed HoursLogged to the new total
readable through the gateway, with the whole system as processes (as ``bench.run``).

    .venv/bin/python -m bench.latency [--rates 20,200] [--seconds 6]
"""

from __future__ import annotations

import argparse
import asyncio

from .live import Live, percentile
from .machine import describe


async def run(rates: list[float], seconds: float) -> None:
    live = Live(activities=1, days=4)
    try:
        live.start()
        await live.prepare()
        await live.wait_quiet()
        for key, value in describe(None):
            print(f"{key + ':':<24}{value}")
        for rate in rates:
            lat = await live.latency(rate=rate, seconds=seconds)
            commit = " / ".join(f"{percentile(lat.from_commit_ms, q):,.0f}" for q in (50, 95, 99))
            answer = " / ".join(f"{percentile(lat.from_answer_ms, q):,.0f}" for q in (50, 95, 99))
            print(
                f"paced for {rate:,.0f}/s (achieved {lat.achieved_rate:,.0f}/s, {lat.samples} samples): "
                f"p50 / p95 / p99 from commit {commit} ms; from the answer {answer} ms",
                flush=True,
            )
            await live.wait_quiet()
    finally:
        live.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="20,200", help="HoursLogged per second, comma-separated")
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    asyncio.run(run([float(r) for r in args.rates.split(",")], args.seconds))


if __name__ == "__main__":
    main()
