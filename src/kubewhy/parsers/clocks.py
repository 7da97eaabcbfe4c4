"""Clocks read at a prompt: ``date`` on the node and through ``ssh``, ``minikube ssh`` or
``kubectl exec`` on another machine, ``hwclock`` (the hardware clock), ``timedatectl``'s system
and RTC times. Two clocks read a few commands apart that disagree by minutes or hours are the
skew itself (``facts.derive`` compares them); each reading keeps its zone as printed, and only
readings in one zone (or with offsets) are compared.

A time is kept as ``YYYY-MM-DDTHH:MM:SS ZONE`` (the zone as printed: ``CST``, ``UTC``, ``+02:00``)
so that two abbreviations are compared only when they are the same word.

>>> clock_time("Sat Apr  6 20:28:56 CST 2019"), clock_time("2022-03-05 17:55:52.870163+02:00")
('2019-04-06T20:28:56 CST', '2022-03-05T17:55:52 +02:00')
>>> clock_time("Sat 05 Mar 2022 05:55:52 PM EET  -0.774025 seconds")
'2022-03-05T17:55:52 EET'
"""

from __future__ import annotations

from datetime import UTC, datetime

from kubewhy.lazy_re import lazy_compile
from kubewhy.parsers.counted import Output, Reading
from kubewhy.parsers.shell import Pipeline, Stage, remote_command

# date's default (C locale): ``Sat Apr  6 20:28:56 CST 2019``, the zone may be absent.
_DATE_C = lazy_compile(r"^\w{3} (\w{3})\s+(\d{1,2}) (\d\d:\d\d:\d\d) (?:(\S+) )?(\d{4})$")
# date in an English locale and hwclock before util-linux 2.32: ``Sat 05 Mar 2022 05:55:52 PM
# EET``, hwclock adding its correction (``-0.774025 seconds``).
_DATE_LOCALE = lazy_compile(
    r"^\w{3} (\d{1,2}) (\w{3}) (\d{4}) (\d\d:\d\d:\d\d)(?: ([AP]M))?(?: ([A-Z][A-Za-z]{1,5}|"
    r"[+-]\d\d:?\d\d))?(?:\s+-?\d+\.\d+ seconds)?$"
)
# hwclock since util-linux 2.32 and date --rfc-3339: ISO 8601 with the offset.
_ISO = lazy_compile(r"^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:[.,]\d+)?\s*([+-]\d\d:?\d\d|Z)?$")
# timedatectl: ``Universal time: Sat 2022-03-05 13:55:56 UTC``, ``RTC time: Sat 2022-03-05
# 17:55:52``.
_TIMEDATECTL = lazy_compile(
    r"^\s*(Local time|Universal time|RTC time):\s+(?:\S+ )?(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)"
    r"(?: (\S+))?\s*$"
)
_SYNCHRONIZED = lazy_compile(r"\s*(?:System clock synchronized|NTP synchronized):\s*(yes|no)")
_RTC_LOCAL = lazy_compile(r"^\s*RTC in local TZ:\s*(yes|no)\s*$")


def _kept(moment: datetime, zone: str | None) -> str:
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%S')} {zone or '?'}"


def clock_time(text: str) -> str | None:
    """One printed time as ``YYYY-MM-DDTHH:MM:SS ZONE``, or None."""
    text = text.strip()
    try:
        if found := _DATE_C.match(text):
            month, day, clock, zone, year = found.groups()
            moment = datetime.strptime(f"{month} {day} {clock} {year}", "%b %d %H:%M:%S %Y")
            return _kept(moment, zone)
        if found := _DATE_LOCALE.match(text):
            day, month, year, clock, half, zone = found.groups()
            pattern = "%d %b %Y %I:%M:%S %p" if half else "%d %b %Y %H:%M:%S"
            stamp = f"{day} {month} {year} {clock}" + (f" {half}" if half else "")
            return _kept(datetime.strptime(stamp, pattern), zone)
        if found := _ISO.match(text):
            day, clock, zone = found.groups()
            moment = datetime.strptime(f"{day} {clock}", "%Y-%m-%d %H:%M:%S")
            if zone and zone != "Z" and ":" not in zone:
                zone = f"{zone[:3]}:{zone[3:]}"
            return _kept(moment, "UTC" if zone == "Z" else zone)
    except ValueError:
        return None
    return None


_OFFSET = lazy_compile(r"[+-]\d\d(?::?\d\d)?")


def to_utc(kept: str) -> datetime | None:
    """A kept time in UTC, when its zone says how (UTC, GMT or an offset); else None.

    >>> to_utc("2022-03-05T17:55:52 +02:00")
    datetime.datetime(2022, 3, 5, 15, 55, 52, tzinfo=datetime.timezone.utc)
    >>> to_utc("2022-03-05T17:55:52 EET") is None
    True
    """
    stamp, _, zone = kept.partition(" ")
    if zone in ("UTC", "GMT"):
        zone = "+00:00"
    elif not _OFFSET.fullmatch(zone):
        return None
    return datetime.fromisoformat(stamp + zone).astimezone(UTC)


def _date_reads_now(stage: Stage) -> bool:
    """``date`` printing the current time in a shape read here (no format, no setting, no -d)."""
    return stage.name == "date" and not any(
        a.startswith(("-s", "--set", "+", "-d", "--date", "-r", "--reference", "-f"))
        for a in stage.args
    )


def _first_time(out: Output) -> tuple[str, int] | None:
    for n, line in out:
        if line.strip():
            kept = clock_time(line)
            return (kept, n) if kept else None
    return None


def read_clocks(p: Pipeline, out: Output) -> list[Reading] | None:
    """The clock a command printed: the node's own, the hardware clock, or another machine's
    (reached through ssh, ``minikube ssh``, ``kubectl exec``); timedatectl's system and RTC."""
    if p.filters:
        return None
    src = p.source
    remote = remote_command(src)
    if remote is not None and _date_reads_now(remote):
        found = _first_time(out)
        return [Reading("node.clock.remote_time", found[0], found[1])] if found else []
    if _date_reads_now(src):
        found = _first_time(out)
        if found is None:
            return []
        kept, line = found
        year = int(kept[:4])
        return [
            Reading("node.clock.year", year, line),
            Reading("node.clock.system_time", kept, line),
        ]
    if src.name == "hwclock" and (not src.args or src.has_flag("-r", "--show", "--get")):
        found = _first_time(out)
        return [Reading("node.clock.hardware_time", found[0], found[1])] if found else []
    if src.name == "timedatectl" and not src.words[1:] and src.words[:1] in ((), ("status",)):
        return _timedatectl(out)
    return None


def _timedatectl(out: Output) -> list[Reading]:
    readings: list[Reading] = []
    times: dict[str, tuple[str, int]] = {}
    rtc_local = False
    for n, line in out:
        if found := _SYNCHRONIZED.match(line):
            readings.append(Reading("node.clock.synchronized", found.group(1) == "yes", n))
        elif found := _TIMEDATECTL.match(line):
            what, day, clock, zone = found.groups()
            times[what] = (f"{day}T{clock} {zone or '?'}", n)
        elif found := _RTC_LOCAL.match(line):
            rtc_local = found.group(1) == "yes"
    # The RTC line prints no zone: it keeps UTC, or the local zone with "RTC in local TZ: yes";
    # the system clock read in that same zone is the one to compare it with.
    system = times.get("Local time" if rtc_local else "Universal time")
    if system is None:
        return readings
    readings.append(Reading("node.clock.system_time", system[0], system[1]))
    rtc = times.get("RTC time")
    if rtc is not None:
        zone = system[0].partition(" ")[2]
        rtc_time = f"{rtc[0].partition(' ')[0]} {zone}"
        readings.append(Reading("node.clock.hardware_time", rtc_time, rtc[1]))
    return readings
