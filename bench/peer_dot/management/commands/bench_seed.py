"""Seed the peer like hubauth is seeded: N live access tokens and N refresh tokens (each
refresh token bound to its access token, as DOT issues them), spread over 100 users, plus a
random sample of the values in files for wrk and the client credentials as JSON."""

from __future__ import annotations

import hashlib
import json
import random
import secrets
from datetime import timedelta
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application, RefreshToken

SAMPLE = 20_000
BATCH = 10_000


def _token() -> str:
    return secrets.token_urlsafe(24)


class Command(BaseCommand):
    help = "Seed tokens for the benchmark"

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--tokens", type=int, required=True)
        parser.add_argument("--out", required=True)

    def handle(self, *args, **opts):  # type: ignore[no-untyped-def]
        out = Path(opts["out"])
        out.mkdir(parents=True, exist_ok=True)
        n = opts["tokens"]
        user_model = get_user_model()
        users = []
        for i in range(100):
            user = user_model(username=f"bench{i}")
            user.set_unusable_password()
            users.append(user)
        users = user_model.objects.bulk_create(users)
        owner = users[0]
        ac_secret, cc_secret = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        app_ac = Application.objects.create(
            name="bench-code",
            user=owner,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris="https://bench.example.test/callback",
            client_secret=ac_secret,
            hash_client_secret=False,
        )
        app_cc = Application.objects.create(
            name="bench-cc",
            user=owner,
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
            client_secret=cc_secret,
            hash_client_secret=False,
        )
        expires = timezone.now() + timedelta(hours=6)
        keep = min(1.0, SAMPLE / max(1, n))
        rng = random.Random()
        access_sample: list[str] = []
        refresh_sample: list[str] = []
        done = 0
        while done < n:
            size = min(BATCH, n - done)
            access_rows, values = [], []
            for i in range(size):
                value = _token()
                values.append(value)
                access_rows.append(
                    AccessToken(
                        user=users[(done + i) % len(users)],
                        application=app_ac,
                        token=value,
                        token_checksum=hashlib.sha256(value.encode()).hexdigest(),
                        expires=expires,
                        scope="read write",
                    )
                )
            with transaction.atomic():
                access_rows = AccessToken.objects.bulk_create(access_rows)
                refresh_rows = []
                for access, value in zip(access_rows, values, strict=True):
                    refresh_value = _token()
                    refresh_rows.append(
                        RefreshToken(
                            user=access.user,
                            application=app_ac,
                            token=refresh_value,
                            token_checksum=hashlib.sha256(refresh_value.encode()).hexdigest(),
                            access_token=access,
                        )
                    )
                    if rng.random() < keep:
                        access_sample.append(value)
                        refresh_sample.append(refresh_value)
                RefreshToken.objects.bulk_create(refresh_rows)
            done += size
        rng.shuffle(access_sample)
        rng.shuffle(refresh_sample)
        (out / "access.txt").write_text("\n".join(access_sample) + "\n")
        (out / "refresh.txt").write_text("\n".join(refresh_sample) + "\n")
        (out / "creds.json").write_text(
            json.dumps(
                {
                    "code_app": {"client_id": app_ac.client_id, "client_secret": ac_secret},
                    "cc_app": {"client_id": app_cc.client_id, "client_secret": cc_secret},
                }
            )
        )
        self.stdout.write(f"seeded {n} access and refresh tokens")
