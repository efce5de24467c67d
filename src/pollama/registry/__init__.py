"""Pull and push models over the OCI distribution protocol: resumable, verified, and careful
with what a registry says (spec §7, security.md "Trusting the registry").

::

    client.py    RegistryClient(http, name, insecure=, user_agent=, auth=, retry=)  requests
    blobbody.py  a blob range's body through httpx, or read over a bare connection (the fast path)
    auth.py      Auth, parse_challenge, token_url, check_realm, env_credentials     §7.4
    signing.py   load_signer(~/.ollama/id_ed25519), ensure_keypair (made when the server starts)
    policy.py    check_redirect: where a registry may send us
    bounded.py   size-capped reads, no unbounded decompression
    retry.py     RetryPolicy: backoff, Retry-After, injected sleep and clock
    parts.py     plan_parts, Part state JSON                                         (pure)
    partial.py   PartialFiles: <blob>-partial, <blob>-partial-N, the per-blob lock
    prefixhash.py PrefixHasher: the sha256 of a blob computed while its parts arrive
    checkpoint.py Checkpointer: part states synced and saved behind the writers
    ramp.py      ConnectionRamp, fetch_ramped: one connection, more while they raise the rate
    follower.py  Follower: the thread both of them run in
    download.py  BlobDownload(store, client, layer).run(), publish_blob(store, layer)
    prefetch.py  Prefetch: a pull's small blobs fetched in the background from the start
    upload.py    BlobUpload(store, client, layer).run()
    pull.py      RegistrySource (for pollama.pull.pull_from), pull_layers, fetch_manifest
    push.py      push_to_registry(store, name, client)
    access.py    RegistryAccess.from_environment(environ, home).client(name, insecure)

Errors: ModelNotFound (no such manifest), NotFound (a missing blob), DigestMismatch,
BadRequest (``insecure protocol http``), RegistryError and its subclasses RegistryStatusError
(an HTTP error answer) and RegistryUnreachable (no answer at all; another source may be tried).
"""

from pollama.registry.access import RegistryAccess
from pollama.registry.auth import Auth, Credentials, env_credentials
from pollama.registry.client import RegistryClient, default_http_client, default_user_agent
from pollama.registry.download import BlobDownload, DownloadOptions, publish_blob
from pollama.registry.errors import RegistryStatusError, RegistryUnreachable
from pollama.registry.pull import RegistrySource, fetch_manifest, pull_layers
from pollama.registry.push import push_to_registry
from pollama.registry.retry import RetryPolicy
from pollama.registry.signing import load_signer
from pollama.registry.upload import BlobUpload, UploadOptions

__all__ = [
    "Auth",
    "BlobDownload",
    "BlobUpload",
    "Credentials",
    "DownloadOptions",
    "RegistryAccess",
    "RegistryClient",
    "RegistrySource",
    "RegistryStatusError",
    "RegistryUnreachable",
    "RetryPolicy",
    "UploadOptions",
    "default_http_client",
    "default_user_agent",
    "env_credentials",
    "fetch_manifest",
    "load_signer",
    "publish_blob",
    "pull_layers",
    "push_to_registry",
]
