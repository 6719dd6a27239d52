"""The accounts and their keys (fixed, --extra-accounts, key-less directory
accounts), their resource groups, and the secrets never to be written
out: the fixed ones and the prefixes of everything STS and the metadata
service issue (redact())."""

import base64
import re


class Account:
    """An access key and the account it belongs to."""

    def __init__(self, account_id, key_id, secret, note, token=None, forbidden=False):
        self.account_id = account_id
        self.key_id = key_id
        self.secret = secret
        self.note = note
        self.token = token
        self.forbidden = forbidden


OWNER_ID = "1234567890123456"
PEER_ID = "2345678901234567"
EMPTY_ID = "3456789012345678"
ACCOUNTS = [
    Account(OWNER_ID, "LTAI5tEmuOwner0000000001", "emu-owner-secret-0001",
            "owner (the demo's account)"),
    Account(PEER_ID, "LTAI5tEmuPeer00000000002", "emu-peer-secret-0002",
            "a second account"),
    Account(OWNER_ID, "STS.EmuOwnerTemp000000003", "emu-sts-secret-0003",
            "STS key of the owner; security token emu-sts-token-0003",
            token="emu-sts-token-0003"),
    Account(EMPTY_ID, "LTAI5tEmuEmpty0000000004", "emu-empty-secret-0004",
            "an account with no custom images"),
    Account(OWNER_ID, "LTAI5tEmuNoPerm000000005", "emu-noperm-secret-0005",
            "RAM user without permissions: every action -> Forbidden.RAM",
            forbidden=True),
]
# Never written to stderr or the --log file (see redact()).
SECRETS = sorted({a.secret for a in ACCOUNTS} | {a.token for a in ACCOUNTS if a.token},
                 key=len, reverse=True)
# Accounts that exist (images can be shared with them) but have no keys.
DIRECTORY_ACCOUNTS = [str(9000000000000000 + n) for n in range(1, 201)]
KNOWN_ACCOUNT_IDS = {OWNER_ID, PEER_ID, EMPTY_ID, *DIRECTORY_ACCOUNTS}

RESOURCE_GROUPS = {
    OWNER_ID: ["rg-acfmv3x2yhk4ywa", "rg-aek2qwa7lwwmzbq", "rg-acfm2pz25js4xbi"],
    PEER_ID: ["rg-aekzt7vtdekaqhy"],
    EMPTY_ID: [],
}


def add_extra_accounts(n):
    """Accounts 1..n beyond the fixed ones (--extra-accounts), for tests
    and benchmarks over many accounts: account id 50000000000000NN, key
    LTAI5tEmuAcct000000000NN, secret emu-acct-secret-00NN.  Each owns as
    many custom images per region as the owner; none are shared.  The
    fixed accounts and their data do not change.  Returns their ids."""
    ids = []
    for k in range(1, n + 1):
        acct = Account(str(5000000000000000 + k), "LTAI5tEmuAcct%011d" % k,
                       "emu-acct-secret-%04d" % k, "extra account %d" % k)
        ACCOUNTS.append(acct)
        SECRETS.append(acct.secret)
        KNOWN_ACCOUNT_IDS.add(acct.account_id)
        RESOURCE_GROUPS[acct.account_id] = []
        ids.append(acct.account_id)
    SECRETS.sort(key=len, reverse=True)
    return ids


ISSUED_SECRET_PREFIX = "emu-issued-secret-"
ISSUED_TOKEN_PREFIX = "emu-issued-token-"
IMDS_TOKEN_PREFIX = "emu-imds-token-"

OIDC_JWT_HEADER = base64.urlsafe_b64encode(
    b'{"alg":"RS256","kid":"emu-rrsa-1","typ":"JWT"}').rstrip(b"=").decode()

# Every issued secret, in logs and outputs (the secrets suite greps for these).
ISSUED_PATTERNS = (ISSUED_SECRET_PREFIX, ISSUED_TOKEN_PREFIX, IMDS_TOKEN_PREFIX, OIDC_JWT_HEADER)
ISSUED_RE = re.compile(r"(%s|%s|%s)[0-9]+|%s\.[A-Za-z0-9_.-]*" % (
    re.escape(ISSUED_SECRET_PREFIX), re.escape(ISSUED_TOKEN_PREFIX),
    re.escape(IMDS_TOKEN_PREFIX), re.escape(OIDC_JWT_HEADER)))


def redact(text, extra=()):
    """`text` without the known secrets and security tokens, nor the
    strings of 8 characters or more in `extra` (e.g. the token a request
    carried)."""
    for secret in sorted((s for s in extra if s and len(s) >= 8), key=len, reverse=True) + SECRETS:
        text = text.replace(secret, "[redacted]")
    return ISSUED_RE.sub("[redacted]", text)
