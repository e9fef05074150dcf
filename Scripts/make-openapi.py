#!/usr/bin/env python3
"""Writes Spec/openapi.yaml: the HTTP admin API (issue 13), with the result and event schemas
taken from Spec/openrpc.json so the two specs cannot drift.

Usage: python3 Scripts/make-openapi.py [OUTPUT]   (default: Spec/openapi.yaml)
"""
import json
import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rpc = json.load(open(os.path.join(ROOT, "Spec", "openrpc.json")))
schemas = dict(rpc["components"]["schemas"])

schemas["Error"] = {
    "title": "Error",
    "description": "The socket's JSON-RPC error object (PROTOCOL.md section 3), under `error`.",
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "integer"},
                "message": {"type": "string"},
                "data": {},
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
    "additionalProperties": False,
}
schemas["Health"] = {
    "title": "Health",
    "description": "`ping`'s result with `status` in front.",
    "type": "object",
    "properties": {
        "status": {"const": "ok"},
        "version": {"type": "string"},
        "protocolVersion": {"const": 2},
    },
    "required": ["status", "version", "protocolVersion"],
    "additionalProperties": False,
}


def err(description):
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def ok(ref, description):
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/" + ref}}}}


common_errors = {
    "400": err("Invalid params (a bad `level`, `limit` out of range, a non-numeric id): `-32602`."),
    "401": err("Missing or wrong token: `-32003`."),
    "503": err("Store unavailable: `-32005`."),
}
run_id = {
    "name": "jobRunId",
    "in": "path",
    "required": True,
    "description": "The run's id, decimal (1 ... 2^63-1; larger is 400).",
    "schema": {"type": "string", "pattern": "^[1-9][0-9]{0,18}$"},
}


def run_get(summary, method, ref, extra_params=()):
    op = {
        "summary": summary,
        "description": f"The socket method `{method}`; the body is its `result`, unchanged.",
        "operationId": method,
        "parameters": [run_id, *extra_params],
        "responses": {"200": ok(ref, f"`{method}`'s result."), "404": err("Unknown run: `-32001`."), **common_errors},
    }
    return {"get": op}


def query(name, schema, description):
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


limit_logs = {"type": "integer", "minimum": 1, "maximum": 10000, "default": 100}
limit_runs = {"type": "integer", "minimum": 1, "maximum": 1000, "default": 50}
id_query = {"type": "string", "pattern": "^[1-9][0-9]{0,18}$"}

paths = {
    "/api/admin/jobs": {
        "get": {
            "summary": "Runs, newest first",
            "description": "The socket method `listRuns`; page with `beforeId`.",
            "operationId": "listRuns",
            "parameters": [
                query("jobName", {"$ref": "#/components/schemas/JobName"}, "Only runs of this job."),
                query("status", {"$ref": "#/components/schemas/RunStatus"}, "Only runs in this status."),
                query("node", {"$ref": "#/components/schemas/NodeName"}, "Only runs started by this daemon (--node-name)."),
                query("limit", limit_runs, "At most this many runs."),
                query("beforeId", id_query, "Only runs with a smaller id (the next page)."),
            ],
            "responses": {"200": ok("RunsResult", "`listRuns`' result."), **common_errors},
        }
    },
    "/api/admin/jobs/{jobRunId}": run_get("One run", "getRun", "RunResult"),
    "/api/admin/jobs/{jobRunId}/logs": run_get(
        "A page of a run's log entries",
        "getLogs",
        "LogsResult",
        [
            query("level", {"$ref": "#/components/schemas/LogLevel"}, "Minimum severity."),
            query("limit", limit_logs, "At most this many entries."),
            query("afterId", {"type": "string", "pattern": "^(0|[1-9][0-9]{0,18})$"},
                  "Entries after this id, in id order (0: from the start); without it, the newest."),
            query("beforeId", id_query,
                  "A page back: the newest entries whose id is smaller, in id order. Not with `afterId` (400)."),
        ],
    ),
    "/api/admin/jobs/{jobRunId}/cancel": {
        "post": {
            "summary": "Ask a RUNNING run to stop (the API's only write)",
            "description": (
                "The socket method `cancelRun` with `jobRunId` from the path and `reason`, `graceMs` from the JSON "
                "body (both optional; at most 8192 bytes). The caller acts as the daemon's own user (an "
                "administrator). The body is `cancelRun`'s result: the run with `cancelRequestedAt` set. Refused "
                "`403` when `Origin` is present and is not the daemon's own (`http://` plus the `Host` the request "
                "came in on), or `Sec-Fetch-Site` is `cross-site` or `same-site`; `415` unless the body is declared "
                "`application/json`. The token is never taken from the query here. Other methods: `405` "
                "(`Allow: POST`)."
            ),
            "operationId": "cancelRun",
            "parameters": [run_id],
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "reason": {"type": "string", "maxLength": 256,
                                           "description": "Why (at most 1 KiB of UTF-8); in the `Cancel requested: "
                                                          "<reason>` entry."},
                                "graceMs": {"type": "integer", "minimum": 0, "maximum": 86400000, "default": 30000,
                                            "description": "How long the job has to stop before SIGTERM, then again "
                                                           "before SIGKILL."},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": ok("RunResult", "`cancelRun`'s result."),
                "400": err("Invalid params (`reason` over 1 KiB, `graceMs` out of range, a non-numeric id): "
                           "`-32602`; a body that is not JSON `-32700`, not an object `-32600`."),
                "401": err("Missing or wrong token: `-32003`."),
                "403": err("Another origin: `-32003`."),
                "404": err("Unknown run: `-32001`."),
                "409": err("The run already finished: `-32002`."),
                "413": err("A body over 8192 bytes: `-32600`."),
                "415": err("A body not declared `application/json`: `-32600`."),
                "503": err("Store unavailable: `-32005`."),
            },
        }
    },
    "/api/admin/jobs/{jobRunId}/progress": run_get("A run's progress", "getProgress", "ProgressResult"),
    "/api/admin/jobs/{jobRunId}/outcome": run_get("A run's outcome", "getOutcome", "OutcomeResult"),
    "/api/admin/jobs/{jobRunId}/stages": run_get("A run's stage timeline", "getStages", "StagesResult"),
    "/api/admin/jobs/{jobRunId}/compare": run_get(
        "A run against another run or the usual run of its job",
        "compareRuns",
        "ComparisonResult",
        [query("baseline", id_query, "The run to compare with (default: the median of the last 20 SUCCESS runs).")],
    ),
    "/api/admin/job-names": {
        "get": {
            "summary": "Job names, the most recently started first",
            "description": "The socket method `listJobs`.",
            "operationId": "listJobs",
            "parameters": [
                query("jobName", {"$ref": "#/components/schemas/JobName"}, "Only names starting with it."),
                query("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}, "At most this many."),
            ],
            "responses": {"200": ok("JobsResult", "`listJobs`' result."), **common_errors},
        }
    },
    "/api/admin/job-names/{jobName}/stats": {
        "get": {
            "summary": "Statistics of a job's last finished runs",
            "description": "The socket method `getJobStats`.",
            "operationId": "getJobStats",
            "parameters": [
                {"name": "jobName", "in": "path", "required": True, "description": "The job name (URL-encoded).",
                 "schema": {"$ref": "#/components/schemas/JobName"}},
                query("last", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 20},
                      "The window: the last N finished runs."),
            ],
            "responses": {"200": ok("JobStatsResult", "`getJobStats`' result."), **common_errors},
        }
    },
    "/api/admin/events": {
        "get": {
            "summary": "Live events (Server-Sent Events)",
            "description": (
                "The socket method `watch` as an event stream. Each event is `event: TYPE` and `data: PARAMS` "
                "(the socket event's params without `subscription`); `log` events carry `id: LOGID`. With "
                "`Last-Event-ID` on a `jobRunId` stream, the entries after it are replayed from the store first, "
                "then the stream continues live with no gap and no duplicate. `: keep-alive` every 15 s. A "
                "`lagged` event when the reader fell behind, or for the log entries past the daemon's live rate "
                "(`--http-live-rate`, 1,000 a second by default; then re-read with getLogs from `resumeAfterId`)."
            ),
            "operationId": "events",
            "parameters": [
                query("jobRunId", id_query, "Follow this run."),
                query("jobName", {"$ref": "#/components/schemas/JobName"}, "Follow the runs of this job."),
                query("level", {"$ref": "#/components/schemas/LogLevel"}, "Minimum level of `log` events."),
                {"name": "Last-Event-ID", "in": "header", "required": False, "schema": id_query,
                 "description": "Resume after this log id (sent by a browser's EventSource on reconnect)."},
            ],
            "responses": {
                "200": {"description": "The stream.", "content": {"text/event-stream": {"schema": {"type": "string"}}}},
                **common_errors,
            },
        }
    },
    "/api/admin/ws": {
        "get": {
            "summary": "Live events (WebSocket)",
            "description": (
                "Upgrade to a WebSocket. Send `{\"watch\":{...the socket's watch params...}}` (several allowed) "
                "and `{\"unwatch\":\"ID\"}`. Each watch is answered `{\"subscription\":\"ID\"}` in order, each "
                "unwatch `{\"unwatched\":\"ID\"}`, a bad message `{\"error\":{...}}`; each event is the socket "
                "event's params (the Event schema), one per text frame. At most 64 subscriptions per socket. "
                "Each subscription gets at most the daemon's live rate of log entries a second (`--http-live-rate`, "
                "1,000 by default); the rest are counted in a `lagged` event, as when a reader falls behind."
            ),
            "operationId": "ws",
            "responses": {
                "101": {"description": "Switching protocols."},
                "400": err("Not a WebSocket upgrade request: `-32600`."),
                "401": err("Missing or wrong token: `-32003`."),
            },
        }
    },
    "/healthz": {
        "get": {
            "summary": "Health (no token needed)",
            "description": "The socket method `ping`, with `\"status\":\"ok\"`.",
            "operationId": "healthz",
            "security": [],
            "responses": {"200": ok("Health", "The daemon answers."), "503": err("Store unavailable.")},
        }
    },
    "/metrics": {
        "get": {
            "summary": "Prometheus metrics",
            "description": (
                "Prometheus text format: joblogd_connections, joblogd_watchers, joblogd_write_queue_depth, "
                "joblogd_messages_total{method}, joblogd_commit_latency_seconds, joblogd_store_errors_total, "
                "joblogd_lagged_events_total, joblogd_runs_started_total{job}, "
                "joblogd_runs_finished_total{job,status}, joblogd_run_duration_seconds{job}, "
                "joblogd_run_progress_ratio{job,run}. Job names past the 1,000th are `other`."
            ),
            "operationId": "metrics",
            "responses": {
                "200": {"description": "The metrics.", "content": {"text/plain": {"schema": {"type": "string"}}}},
                "401": err("Missing or wrong token: `-32003`."),
            },
        }
    },
}

doc = {
    "openapi": "3.1.0",
    "info": {
        "title": "joblogd HTTP admin API",
        "version": rpc["info"]["version"],
        "description": (
            "Generated by Scripts/make-openapi.py from Spec/openrpc.json: do not edit. Read-only but for one write, "
            "`POST /api/admin/jobs/{jobRunId}/cancel`. Every JSON body is the socket method's result; errors are "
            "the socket's error object under `error`. Only GET and HEAD elsewhere (405 otherwise); unknown paths 404. Every path but /healthz needs the token: `Authorization: Bearer "
            "TOKEN`, or the cookie set by opening `/?token=TOKEN`."
        ),
    },
    "servers": [{"url": "http://127.0.0.1:7370"}],
    "security": [{"bearer": []}, {"cookie": []}],
    "paths": paths,
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "cookie": {"type": "apiKey", "in": "cookie", "name": "joblogd_token"},
        },
        "schemas": schemas,
    },
}

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "Spec", "openapi.yaml")
with open(out, "w") as f:
    f.write("# Generated by Scripts/make-openapi.py from Spec/openrpc.json: do not edit.\n")
    yaml.safe_dump(doc, f, sort_keys=False, allow_unicode=True, width=110)
