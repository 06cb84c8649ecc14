"""Signed publications: Ed25519 signatures in OpenSSH's SSHSIG format.

A hash chain proves that nothing was altered *relative to its head*; anyone
who can rewrite the rows can also recompute the chain and the publication
record.  What proves origin is a signature over the head by a key the reader
trusts: `timeline publish --sign KEY` signs the publication record's message
(every chain head, the counts, the schema and the build time) with an Ed25519
key in OpenSSH format, and `timeline verify FILE --key KEY.pub` checks it.
The signature is a standard SSHSIG (namespace "timeline"), so OpenSSH checks
it too:

    sqlite3 site.db "select signed_message from publication" > message
    sqlite3 site.db "select signature from publication" > message.sig
    ssh-keygen -Y check-novalidate -n timeline -f key.pub -s message.sig < message
"""
import base64
import hashlib
import struct

from .errors import TimelineError

NAMESPACE = b"timeline"
MAGIC = b"SSHSIG"
HASH_ALGORITHM = b"sha512"
MESSAGE_FIELDS = ("head_hash", "event_count", "entities_head", "entity_aliases_head", "sources_head",
                  "metrics_head", "entity_count", "source_count", "schema_revision", "built_at")


def message(record):
    """The text a publication's signature covers: one 'field: value' line each, in a fixed order."""
    return "timeline publication\n" + "".join(f"{field}: {record[field]}\n" for field in MESSAGE_FIELDS)


def _string(data):
    return struct.pack(">I", len(data)) + data


def _read_string(blob, offset):
    if offset + 4 > len(blob):
        raise ValueError("truncated")
    (length,) = struct.unpack(">I", blob[offset:offset + 4])
    end = offset + 4 + length
    if end > len(blob):
        raise ValueError("truncated")
    return blob[offset + 4:end], end


def _signed_data(text):
    digest = hashlib.sha512(text.encode("utf-8")).digest()
    return MAGIC + _string(NAMESPACE) + _string(b"") + _string(HASH_ALGORITHM) + _string(digest)


def _public_blob(public_key):
    from cryptography.hazmat.primitives import serialization
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _string(b"ssh-ed25519") + _string(raw)


def load_private_key(path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    try:
        with open(path, "rb") as handle:
            data = handle.read(64 * 1024)
        key = serialization.load_ssh_private_key(data, password=None)
    except OSError as error:
        raise TimelineError(f"cannot read the signing key {path}: {error.strerror or error}") from None
    except (ValueError, TypeError) as error:
        raise TimelineError(f"{path} is not an unencrypted OpenSSH private key ({error}); "
                            "make one with: ssh-keygen -t ed25519 -N '' -f KEY") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise TimelineError(f"{path} is not an Ed25519 key; make one with: ssh-keygen -t ed25519 -N '' -f KEY")
    return key


def load_public_key(path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    try:
        with open(path, "rb") as handle:
            data = handle.read(64 * 1024).strip()
        key = serialization.load_ssh_public_key(data.split(b"\n")[0])
    except OSError as error:
        raise TimelineError(f"cannot read the public key {path}: {error.strerror or error}") from None
    except (ValueError, TypeError, IndexError):
        raise TimelineError(f"{path} is not an OpenSSH public key (ssh-ed25519 AAAA…)") from None
    if not isinstance(key, Ed25519PublicKey):
        raise TimelineError(f"{path} is not an Ed25519 public key")
    return key


def sign(text, private_key_path):
    """The armored SSHSIG signature of `text` by the key at `private_key_path`."""
    key = load_private_key(private_key_path)
    signature = _string(b"ssh-ed25519") + _string(key.sign(_signed_data(text)))
    blob = (MAGIC + struct.pack(">I", 1) + _string(_public_blob(key.public_key())) + _string(NAMESPACE)
            + _string(b"") + _string(HASH_ALGORITHM) + _string(signature))
    encoded = base64.b64encode(blob).decode("ascii")
    lines = [encoded[i:i + 70] for i in range(0, len(encoded), 70)]
    return "-----BEGIN SSH SIGNATURE-----\n" + "\n".join(lines) + "\n-----END SSH SIGNATURE-----\n"


def check(text, armored, public_key_path):
    """None if `armored` is a valid signature of `text` by the key at `public_key_path`; else the problem."""
    from cryptography.exceptions import InvalidSignature
    key = load_public_key(public_key_path)
    if not armored:
        return "the file is not signed (publish it with --sign KEY)"
    try:
        body = "".join(line for line in armored.strip().splitlines() if not line.startswith("-----"))
        blob = base64.b64decode(body, validate=True)
        if not blob.startswith(MAGIC):
            raise ValueError("not an SSH signature")
        offset = len(MAGIC) + 4
        public, offset = _read_string(blob, offset)
        namespace, offset = _read_string(blob, offset)
        _, offset = _read_string(blob, offset)
        algorithm, offset = _read_string(blob, offset)
        signature, offset = _read_string(blob, offset)
        kind, inner = _read_string(signature, 0)
        raw, _ = _read_string(signature, inner)
    except (ValueError, struct.error):
        return "the signature is not a valid SSH signature"
    if public != _public_blob(key):
        return "the file was signed by another key than the one given"
    if namespace != NAMESPACE or algorithm != HASH_ALGORITHM or kind != b"ssh-ed25519":
        return "the signature is not a timeline signature (namespace, algorithm)"
    try:
        key.verify(raw, _signed_data(text))
    except InvalidSignature:
        return "the signature does not match the publication record: the file was altered after it was signed"
    return None
