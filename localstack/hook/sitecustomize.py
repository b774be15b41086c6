"""Vigil test harness: import hook for the LocalStack process only.

start.sh puts this folder on the LocalStack process's PYTHONPATH, so Python imports this
file at start-up (the `sitecustomize` mechanism). Nothing in the installed venv is changed:
when `localstack.services.iam.provider` is first imported (LocalStack loads the IAM
provider on the first IAM request), this hook reads the module's source, edits it in
memory, and compiles it (the .pyc cache is bypassed and never written). Two edits:

1. Bug fix. In localstack-core 2026.3.0, `_generate_credential_report_csv` calls
   `writer.writerow(row)` after its loop over users instead of inside it, so the IAM
   credential report lists the root row plus only the LAST user (and raises
   UnboundLocalError when there are no users). The hook indents that one call into the
   loop, so the report has one row per user, as AWS's does.

2. Harness-only clock shift. LocalStack stamps users, login profiles and access keys with
   the current time and no API can change it, so "access key older than 90 days" or
   "credentials unused for 45 days" could never be planted. A user created with the tag
   `vigil-harness:backdate-days` = N gets its CreateDate, and the CreateDate of its login
   profile and of every access key created for it later, moved N days into the past. The
   scanner sees only ordinary API answers (GetUser, ListUsers, ListAccessKeys, the
   credential report); nothing else changes. Users without the tag are untouched.

3. State location. `localstack/services/s3/provider.py` keeps S3 object data in the
   hard-coded folder /tmp/localstack-s3-storage, outside FILESYSTEM_ROOT. The hook makes
   it read the folder from VIGIL_S3_TMP_DIR (start.sh: state/s3-storage), so each run's
   state stays under localstack/state/ and is wiped with it.

If an expected source line is not found (another LocalStack version), the module is
loaded unchanged and a WARNING line is printed; start.sh fails on the IAM one.
"""

import importlib.abc
import importlib.machinery
import sys

IAM = "localstack.services.iam.provider"
S3 = "localstack.services.s3.provider"
S3_TMP_OLD = b'DEFAULT_S3_TMP_DIR = "/tmp/localstack-s3-storage"\n'
S3_TMP_NEW = (
    b'DEFAULT_S3_TMP_DIR = __import__("os").environ.get('
    b'"VIGIL_S3_TMP_DIR", "/tmp/localstack-s3-storage")\n'
)

BUGGY = (
    b'                    "cert_2_last_rotated": cert2_rotated,\n'
    b"                }\n"
    b"            writer.writerow(row)\n"
)
FIXED = (
    b'                    "cert_2_last_rotated": cert2_rotated,\n'
    b"                }\n"
    b"                writer.writerow(row)\n"
)

# Appended to the module's source: runs in the module's namespace, after IamProvider is
# defined. LocalStack's dispatcher looks handlers up by name on the provider instance, so
# replacing the class attributes is enough.
BACKDATE = b'''

# ---- appended in memory by the Vigil test harness (localstack/hook/sitecustomize.py) ----
def _vigil_install_backdate():
    import datetime as _dt

    tag_key = "vigil-harness:backdate-days"
    shifted = {}  # (account_id, user_name) -> timedelta

    def _shift_of(tags):
        for tag in tags or []:
            if tag.get("Key") == tag_key:
                try:
                    return _dt.timedelta(days=int(tag.get("Value")))
                except (TypeError, ValueError):
                    return None
        return None

    orig_create_user = IamProvider.create_user
    orig_create_login_profile = IamProvider.create_login_profile
    orig_create_access_key = IamProvider.create_access_key

    def create_user(self, context, **kwargs):
        response = orig_create_user(self, context, **kwargs)
        shift = _shift_of(kwargs.get("tags"))
        if shift:
            user_name = kwargs["user_name"]
            store = self._get_store(context)
            with self._user_lock:
                user = store.USERS[user_name].user
                user["CreateDate"] = user["CreateDate"] - shift
                response["User"]["CreateDate"] = user["CreateDate"]
            shifted[(context.account_id, user_name)] = shift
        return response

    def create_login_profile(self, context, **kwargs):
        response = orig_create_login_profile(self, context, **kwargs)
        user_name = kwargs.get("user_name")
        shift = shifted.get((context.account_id, user_name))
        if shift:
            store = self._get_store(context)
            with self._user_lock:
                profile = store.USERS[user_name].login_profile
                if profile and profile.get("CreateDate"):
                    profile["CreateDate"] = profile["CreateDate"] - shift
                    response["LoginProfile"]["CreateDate"] = profile["CreateDate"]
        return response

    def create_access_key(self, context, **kwargs):
        response = orig_create_access_key(self, context, **kwargs)
        key = response["AccessKey"]
        shift = shifted.get((context.account_id, key["UserName"]))
        if shift:
            store = self._get_store(context)
            with self._user_lock:
                stored = store.USERS[key["UserName"]].access_keys[key["AccessKeyId"]].access_key
                stored["CreateDate"] = stored["CreateDate"] - shift
                key["CreateDate"] = stored["CreateDate"]
        return response

    IamProvider.create_user = create_user
    IamProvider.create_login_profile = create_login_profile
    IamProvider.create_access_key = create_access_key


_vigil_install_backdate()
'''


def _say(msg):
    sys.stderr.write(f"vigil-hook: {msg}\n")
    sys.stderr.flush()


def _patch_iam(fullname, source):
    if source.count(BUGGY) == 1:
        source = source.replace(BUGGY, FIXED)
        _say(f"patched {fullname}: the credential report writes one row per user")
    elif source.count(FIXED) == 1:
        _say(f"{fullname}: the credential report is already correct, not patched")
    else:
        _say(f"WARNING: {fullname}: credential-report line not found, NOT patched")
    source += BACKDATE
    _say(f"patched {fullname}: users tagged vigil-harness:backdate-days are backdated")
    return source


def _patch_s3(fullname, source):
    if source.count(S3_TMP_OLD) == 1:
        _say(f"patched {fullname}: S3 object data under VIGIL_S3_TMP_DIR")
        return source.replace(S3_TMP_OLD, S3_TMP_NEW)
    _say(f"WARNING: {fullname}: DEFAULT_S3_TMP_DIR line not found, NOT patched")
    return source


PATCHES = {IAM: _patch_iam, S3: _patch_s3}


class _PatchingLoader(importlib.machinery.SourceFileLoader):
    def get_code(self, fullname):
        source = PATCHES[fullname](fullname, self.get_data(self.path))
        return compile(source, self.path, "exec", dont_inherit=True)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname not in PATCHES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            _say(f"WARNING: {fullname}: no source loader, NOT patched")
            return spec
        spec.loader = _PatchingLoader(fullname, spec.origin)
        return spec


if not any(isinstance(f, _Finder) for f in sys.meta_path):
    sys.meta_path.insert(0, _Finder())
