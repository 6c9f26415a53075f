"""The district subscriber kit: follow one district's Zhiyuan events over NATS.

- :class:`DistrictFollower` keeps a local SQLite copy (:class:`DistrictStore`) of the
  district's volunteers, activities and service hours up to date, with a durable consumer.
- :func:`connect`, :func:`pull_subscription` and :class:`Since` are the lower level, for a
  district system that keeps its own copy in its own way.

See docs/district-feeds.md for the credentials, the replay options, the version policy
and a worked example; the payloads are described by the AsyncAPI document
(``zhiyuan_contracts/asyncapi/zhiyuan.yaml``).
"""

from .feed import DistrictCredentials, Since, connect, consumer_config, parse_since_time, pull_subscription
from .follower import DistrictFollower
from .store import DEFAULT_HANDLERS, DistrictStore, EventOutcome, Handler

__all__ = [
    "DEFAULT_HANDLERS",
    "DistrictCredentials",
    "DistrictFollower",
    "DistrictStore",
    "EventOutcome",
    "Handler",
    "Since",
    "connect",
    "consumer_config",
    "parse_since_time",
    "pull_subscription",
]
