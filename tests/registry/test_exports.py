"""The registry package's public surface."""

from __future__ import annotations

import pollama.registry as registry


def test_exported_members() -> None:
    assert registry.__all__ == sorted(registry.__all__, key=lambda n: (n[0].islower(), n))
    for name in registry.__all__:
        assert getattr(registry, name).__doc__, name
    assert set(registry.__all__) == {
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
    }
