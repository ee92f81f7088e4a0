"""Drives Keyfleet's virtual key over UDP with python-fido2, an independent CTAP2 client.

python-fido2 has no UDP transport: UdpConnection below frames nothing itself, it only moves raw 64-byte
reports (one per datagram, no report-ID byte) so that fido2.hid.CtapHidDevice does all CTAPHID work.
Usage: fido2_udp_client.py HOST PORT SCENARIO. Prints one JSON object with what was observed; the vitest
suite that runs this script makes the assertions. Run with Debian's /usr/bin/python3 (python3-fido2).
"""

import json
import os
import socket
import sys

from fido2.cose import CoseKey
from fido2.ctap import CtapError
from fido2.ctap2 import Ctap2
from fido2.ctap2.pin import ClientPin, PinProtocolV1, PinProtocolV2
from fido2.hid import CtapHidDevice
from fido2.hid.base import CtapHidConnection, HidDescriptor

REPORT_SIZE = 64
VENDOR_POWER_CYCLE = 0x71
RP_ID = "keyfleet.test"


class UdpConnection(CtapHidConnection):
    def __init__(self, host, port):
        self.peer = (host, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(10)

    def write_packet(self, data):
        if len(data) != REPORT_SIZE:
            raise ValueError("a report is 64 bytes")
        self.sock.sendto(bytes(data), self.peer)

    def read_packet(self):
        data, _ = self.sock.recvfrom(REPORT_SIZE + 1)
        return data

    def close(self):
        self.sock.close()


def open_device(host, port):
    descriptor = HidDescriptor("udp:%s:%d" % (host, port), 0, 0, REPORT_SIZE, REPORT_SIZE)
    return CtapHidDevice(descriptor, UdpConnection(host, port))


def error_name(e):
    return "0x%02X" % e.code


def make_and_assert(ctap, client_pin, pin, user_id):
    """makeCredential (rk, uv via token) then getAssertion verified with the credential's public key."""
    token = client_pin.get_pin_token(pin, ClientPin.PERMISSION.MAKE_CREDENTIAL, RP_ID)
    proto = client_pin.protocol
    client_data_hash = os.urandom(32)
    att = ctap.make_credential(
        client_data_hash,
        {"id": RP_ID, "name": "Keyfleet test"},
        {"id": user_id, "name": "ada@keyfleet.test", "displayName": "Ada"},
        [{"type": "public-key", "alg": -7}],
        options={"rk": True},
        pin_uv_param=proto.authenticate(token, client_data_hash),
        pin_uv_protocol=proto.VERSION,
    )
    cred = att.auth_data.credential_data
    public_key = CoseKey.parse(cred.public_key)

    token = client_pin.get_pin_token(pin, ClientPin.PERMISSION.GET_ASSERTION, RP_ID)
    client_data_hash = os.urandom(32)
    assertion = ctap.get_assertion(
        RP_ID,
        client_data_hash,
        pin_uv_param=proto.authenticate(token, client_data_hash),
        pin_uv_protocol=proto.VERSION,
    )
    # Raises if the signature over authData || clientDataHash does not verify.
    assertion.verify(client_data_hash, public_key)
    return {
        "fmt": att.fmt,
        "attStmtAlg": att.att_statement.get("alg"),
        "x5cCount": len(att.att_statement.get("x5c", [])),
        "aaguid": cred.aaguid.hex(),
        "makeFlags": att.auth_data.flags,
        "credentialId": cred.credential_id.hex(),
        "assertionCredentialId": assertion.credential["id"].hex(),
        "assertionFlags": assertion.auth_data.flags,
        "assertionUserId": assertion.user["id"].hex() if assertion.user else None,
        "signatureVerified": True,
    }


def scenario_full(dev):
    out = {}
    ctap = Ctap2(dev)
    info = ctap.info
    out["info"] = {
        "versions": info.versions,
        "extensions": info.extensions,
        "aaguid": info.aaguid.hex(),
        "options": info.options,
        "pinUvProtocols": info.pin_uv_protocols,
        "maxMsgSize": info.max_msg_size,
        "minPinLength": info.min_pin_length,
        "forcePinChange": info.force_pin_change,
    }
    out["ping"] = dev.ping(b"keyfleet").hex()

    pin = "4711-keyfleet"
    ClientPin(ctap, PinProtocolV2()).set_pin(pin)
    ctap = Ctap2(dev)  # refresh getInfo: clientPin is now true
    out["clientPinAfterSet"] = ctap.info.options.get("clientPin")

    for name, proto in (("v1", PinProtocolV1()), ("v2", PinProtocolV2())):
        client_pin = ClientPin(ctap, proto)
        token = client_pin.get_pin_token(pin, ClientPin.PERMISSION.MAKE_CREDENTIAL, RP_ID)
        out["token_" + name] = len(token)
        out["ceremony_" + name] = make_and_assert(ctap, client_pin, pin, os.urandom(16) if name == "v1" else b"user-v2")

    # Wrong PINs: each costs a retry; the third in a row needs a power cycle; none left blocks the PIN.
    client_pin = ClientPin(ctap, PinProtocolV2())
    retries = [client_pin.get_pin_retries()[0]]
    errors = []
    power_cycle_state = []
    for attempt in range(8):
        try:
            client_pin.get_pin_token("wrong-pin-%d" % attempt, ClientPin.PERMISSION.MAKE_CREDENTIAL)
            errors.append("OK")
        except CtapError as e:
            errors.append(error_name(e))
        r, pcs = client_pin.get_pin_retries()
        retries.append(r)
        power_cycle_state.append(pcs)
        if errors[-1] == "0x34":
            # PIN_AUTH_BLOCKED: replug (the vendor command), as a person would unplug the key.
            dev.call(VENDOR_POWER_CYCLE)
    out["wrongPinErrors"] = errors
    out["retriesSeen"] = retries
    out["powerCycleState"] = power_cycle_state
    try:
        client_pin.get_pin_token(pin, ClientPin.PERMISSION.MAKE_CREDENTIAL)
        out["rightPinAfterBlock"] = "OK"
    except CtapError as e:
        out["rightPinAfterBlock"] = error_name(e)
    return out


def scenario_info(dev):
    ctap = Ctap2(dev)
    return {"versions": ctap.info.versions, "aaguid": ctap.info.aaguid.hex()}


def main():
    host, port, scenario = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    dev = open_device(host, port)
    try:
        result = {"info": scenario_info, "full": scenario_full}[scenario](dev)
    finally:
        dev.close()
    json.dump(result, sys.stdout, default=lambda o: o.hex() if isinstance(o, bytes) else str(o))


if __name__ == "__main__":
    main()
