"""GB/T 28181 20-digit device IDs: structure and validation.

Digits 1-8: centre code (administrative division: province 2, city 2, county 2, basic unit 2);
9-10: industry code; 11-13: type code (111-199 front-end devices, e.g. 131 camera, 132 IPC;
200-299 platform devices; 300-399 users); 14: network identifier (0-4 public-security video
network, 5 public-security information network, 6 government network, 7 internet, 8 social
resource access network; 9 reserved); 15-20: serial number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# GB/T 2260 province-level codes.
PROVINCES = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)
DEVICE_TYPES = {
    111: "DVR",
    112: "video server",
    113: "encoder",
    114: "decoder",
    115: "video switching matrix",
    116: "audio switching matrix",
    117: "alarm controller",
    118: "NVR",
    131: "camera",
    132: "IPC",
    133: "display",
    134: "alarm input",
    135: "alarm output",
    136: "audio input",
    137: "audio output",
    138: "mobile transmission device",
    139: "other peripheral",
}
_DIGITS = re.compile(r"^\d{20}$")


@dataclass(frozen=True)
class DeviceId:
    value: str
    admin_code: str
    industry: str
    type_code: int
    network: int
    serial: str

    @property
    def type_name(self) -> str:
        return DEVICE_TYPES.get(self.type_code, "front-end device (extension)")


def parse_device_id(value: str) -> DeviceId:
    """Parse and validate a camera's GB/T 28181 ID; raises ValueError saying what is wrong."""
    if not _DIGITS.match(value):
        raise ValueError(f"GB/T 28181 ID must be 20 digits, got {value!r} ({len(value)} characters)")
    admin, industry, type_code, network = value[:8], value[8:10], int(value[10:13]), int(value[13])
    if admin[:2] not in PROVINCES:
        raise ValueError(f"GB/T 28181 ID {value}: digits 1-2 must be a province code (e.g. 11, 44), got {admin[:2]}")
    if admin[2:4] == "00" and admin[4:] != "0000":
        raise ValueError(f"GB/T 28181 ID {value}: digits 3-4 (city) are 00 but county/unit digits are not")
    if not 111 <= type_code <= 199:
        raise ValueError(
            f"GB/T 28181 ID {value}: digits 11-13 must be a front-end device type 111-199 "
            f"(131 camera, 132 IPC, 111 DVR, 118 NVR), got {type_code:03d}"
        )
    if network == 9:
        raise ValueError(f"GB/T 28181 ID {value}: digit 14 (network) must be 0-8, got 9 (reserved)")
    return DeviceId(value, admin, industry, type_code, network, value[14:])
