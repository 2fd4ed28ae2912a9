"""The gate of load shedding: a bounded number of places, handed to waiters in turn."""

from __future__ import annotations

import asyncio

from ordermesh.http.shedding import ConcurrencyGate, arrival


def test_a_full_gate_refuses_at_once_when_no_wait_is_allowed() -> None:
    async def scenario() -> list[bool]:
        gate = ConcurrencyGate(limit=2, max_wait_s=0)
        return [await gate.enter(), await gate.enter(), await gate.enter()]

    assert asyncio.run(scenario()) == [True, True, False]


def test_a_place_given_back_goes_to_the_longest_waiter_first() -> None:
    async def scenario() -> tuple[list[str], int]:
        gate = ConcurrencyGate(limit=1, max_wait_s=60)
        order: list[str] = []
        await gate.enter()

        async def wait(name: str) -> None:
            assert await gate.enter()
            order.append(name)

        first = asyncio.create_task(wait("first"))
        await asyncio.sleep(0)
        second = asyncio.create_task(wait("second"))
        await asyncio.sleep(0)
        assert gate.waiting == 2
        gate.leave()
        await first
        gate.leave()
        await second
        gate.leave()
        return order, gate.in_use

    assert asyncio.run(scenario()) == (["first", "second"], 0)


def test_a_waiter_that_is_cancelled_holds_no_place() -> None:
    async def scenario() -> tuple[int, int, bool]:
        gate = ConcurrencyGate(limit=1, max_wait_s=60)
        await gate.enter()
        waiter = asyncio.create_task(gate.enter())
        await asyncio.sleep(0)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        gate.leave()
        return gate.in_use, gate.waiting, await gate.enter()

    assert asyncio.run(scenario()) == (0, 0, True)


def test_a_gate_without_a_limit_admits_everyone() -> None:
    async def scenario() -> list[bool]:
        gate = ConcurrencyGate(limit=0, max_wait_s=0)
        return [await gate.enter() for _ in range(100)]

    assert all(asyncio.run(scenario()))


def test_a_request_start_stamp_moves_the_arrival_back_but_never_forward() -> None:
    def scope(stamp: str) -> dict:
        return {"headers": [(b"x-request-start", stamp.encode())]}

    wall = 1_800_000_010.5  # a real epoch time: the unit of a stamp is told by its size
    assert arrival(scope("t=1800000000.5"), now=50.0, wall_now=wall) == 40.0
    assert arrival(scope("1800000000500"), now=50.0, wall_now=wall) == 40.0  # milliseconds
    assert arrival(scope("t=1800000000500000"), now=50.0, wall_now=wall) == 40.0  # µs
    assert arrival(scope("t=1800000020"), now=50.0, wall_now=wall) == 50.0  # in the future
    assert arrival(scope("soon"), now=50.0, wall_now=wall) == 50.0
    assert arrival({"headers": []}, now=50.0, wall_now=wall) == 50.0
