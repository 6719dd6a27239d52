"""The emulated OIDC provider (RRSA): its RS256 key, tokens it issues and
their verification."""

import base64
import hashlib
import json
import time
import uuid

from .accounts import OIDC_JWT_HEADER, OWNER_ID
from .common import ApiError, compact


OIDC_ISSUER = "https://oidc-ack-cn-hangzhou.oss-cn-hangzhou.aliyuncs.com/c0emu"
OIDC_AUDIENCE = "sts.aliyuncs.com"
OIDC_PROVIDER_ARN = "acs:ram::%s:oidc-provider/ack-rrsa-c0emu" % OWNER_ID

# The issuer's RS256 key (made for the emulator only; verified with e=65537).
OIDC_RSA_N = 0x9982686f54bfe9b26f653e320556d2cc6cf2a4e0f2e794e1c83bd3b3b06eec46e6b4d565ada9127b4fdde6965cc8b3b0ced288dacdc18856fef5d64fb1071064759be0c234d2bf965e0f788bd6427264b1ae9713a12130ce9d664615edbfa467781baff208ee160db3f7a8d195959dc21dd714fb526594549175d01eda4898e57d25f02c6844000ca7229077104b3eec894b46774d5b0345015ca18e314031a8df6de6b0d3b49ce38a0968d2ceac9a84e8a561b79a0326aa6b09fad308e23cfc9d3ace38750ed01ba8668947616dd628381c3ec1924ba9ef2f4b06a8ea92b91d687a2fabae680e6c2e854e6546fbc96e396b8dfe70a7ebe5e1d0dd40e82bf9fd
OIDC_RSA_D = 0xf13b697a6aa81b4b789a951e6e1d7eae191745daea5cda2de5477eeb857b0a7a70da03ef00f40c4313c316357c21399fc3a43dc3fa4b034212efa8951b108ac613bb9d7c131e8c4c740bc3d79c20573bbdad2b64817573097d77d6f366e61e292b29f75856882ec7e1e472bac86291c316b984135dec9b283a5df56c46828720ca3972589f3fa580895cff73e9d77ec016d0c9e3d6fcb3ee9753e99d46e1d02153d6774190adbf7205cc0a1ac97f29999d04d9064edd7c464bad7e9feb9d1e4dc81c086d5bfdd804943101ed94ee8fd258594fa3e88873c879b9bca4d52084873590b80afa75793479be4469a7282ba8db620f2794e9bd34d0faf73eafa51a9
OIDC_RSA_E = 65537


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# DER prefix of a PKCS#1 v1.5 DigestInfo for SHA-256
SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def rsa_pad(message, size):
    digest = SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    return b"\x00\x01" + b"\xff" * (size - len(digest) - 3) + b"\x00" + digest


def oidc_token(expires_in=3600, audience=OIDC_AUDIENCE, issuer=OIDC_ISSUER,
               subject="system:serviceaccount:db:postgres", bad_signature=False):
    """An RS256 JWT such as the ACK RRSA webhook mounts into a pod."""
    now = int(time.time())
    claims = {"iss": issuer, "aud": [audience], "sub": subject, "iat": now, "nbf": now,
              "exp": now + int(expires_in), "jti": uuid.uuid4().hex}
    signing_input = (OIDC_JWT_HEADER + "." + b64url(compact(claims).encode())).encode()
    size = (OIDC_RSA_N.bit_length() + 7) // 8
    sig = pow(int.from_bytes(rsa_pad(signing_input, size), "big"), OIDC_RSA_D, OIDC_RSA_N)
    if bad_signature:
        sig ^= 1
    return signing_input.decode() + "." + b64url(sig.to_bytes(size, "big"))


def oidc_verify(token):
    """The claims of a valid token; raises the STS error otherwise."""
    def invalid(message):
        return ApiError(401, "AuthenticationFail.OIDCToken.Invalid", message)
    if not token:
        raise invalid("The OIDCToken can not empty.")
    parts = token.split(".")
    if len(parts) != 3:
        raise invalid("The number of Jwt field should be divided into 3 parts with '.' .")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        sig = int.from_bytes(b64url_decode(parts[2]), "big")
    except (ValueError, TypeError):
        raise invalid("Cannot decode base64 encoded response(format invalided).") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise invalid("The Jwt content is invalid that cannot be recognized.")
    if header.get("alg") != "RS256":
        raise invalid("The algorithm %s that be specified in Jwt header is unknown."
                      % header.get("alg"))
    size = (OIDC_RSA_N.bit_length() + 7) // 8
    signing_input = (parts[0] + "." + parts[1]).encode()
    if sig >= OIDC_RSA_N or pow(sig, OIDC_RSA_E, OIDC_RSA_N).to_bytes(size, "big") !=             rsa_pad(signing_input, size):
        raise ApiError(401, "AuthenticationFail.OIDCToken.InvalidSignature",
                       "OIDC token validate failed: invalid signature.")
    if claims.get("iss") != OIDC_ISSUER:
        raise invalid("The issuer of the OIDC token does not match the OIDC provider.")
    aud = claims.get("aud")
    if OIDC_AUDIENCE not in (aud if isinstance(aud, list) else [aud]):
        raise ApiError(401, "AuthenticationFail.OIDCToken.AudienceNotMatch", "Invalid audience.")
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= time.time():
        raise ApiError(401, "AuthenticationFail.OIDCToken.Expired", "This JsonWebToken is expired.")
    return claims
