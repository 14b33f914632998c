"""A local stand-in for Alibaba Cloud Voice Service (IvrCall) used by `make run` and the tests.

- `auth`: V1.0 HMAC-SHA1 and ACS3-HMAC-SHA256 signature checks, with Aliyun's error codes.
- `api`: IvrCall / QueryCallDetailByCallId, parameter checks, QPS, concurrency, frequency control.
- `calls`: simulated call outcomes and the receipts pushed to our webhook.
- `server`: the HTTP server, its configuration and the `/__simulator/stats` counters.
"""

from campaigns.dialling.simulator.server import SimulatorConfig, SimulatorServer

__all__ = ["SimulatorConfig", "SimulatorServer"]
