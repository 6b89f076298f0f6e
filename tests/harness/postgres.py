"""A throwaway PostgreSQL cluster the tests own: initdb in a temp dir, its own port, stopped and
started at will. initdb and postgres refuse to run as root (CI runs as root), so they run as the
postgres user through runuser then.
"""
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg2

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def _as_postgres_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class ThrowawayPostgres:
    def __init__(self, port: int, *, max_connections: int = 50, ssl: bool = False):
        """max_connections: as a plan's connection limit. ssl: accept SSL (a self-signed
        certificate), as Heroku Postgres does, for clients that require it (DYNO set)."""
        self.port = port
        self.max_connections = max_connections
        self.ssl = ssl
        self.root = Path(tempfile.mkdtemp(prefix="bikesite-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"

    def _run(self, *command: str, timeout: float = 60) -> None:
        subprocess.run(_as_postgres_user([str(PG_BIN / command[0]), *command[1:]]), check=True,
                       capture_output=True, text=True, timeout=timeout)

    def init(self) -> "ThrowawayPostgres":
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C", "--no-sync", timeout=120)
        if self.ssl:
            subprocess.run(_as_postgres_user(["openssl", "req", "-new", "-x509", "-nodes", "-days", "2",
                                              "-subj", "/CN=127.0.0.1", "-keyout", str(self.data / "server.key"),
                                              "-out", str(self.data / "server.crt")]),
                           check=True, capture_output=True, timeout=60)
            os.chmod(self.data / "server.key", 0o600)
        return self

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
                   f" -c max_connections={self.max_connections}" + (" -c ssl=on" if self.ssl else ""))
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        """fast: roll back open transactions and disconnect every client, as an outage does."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str, user: str = "postgres") -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres", user: str = "postgres"):
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user=user, dbname=database, connect_timeout=10)
        conn.autocommit = True
        return conn

    def execute(self, sql: str, params=(), database: str = "postgres") -> list[tuple]:
        conn = self.connect(database)
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            conn.close()
