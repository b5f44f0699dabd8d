#!/usr/bin/env python3
"""Writes the benchmark's policy document and request bodies.

policy: the Stripe seed policy (stripe-update_customer.json beside this file) with its limit raised so it never trips,
an args schema and deny_if conditions on the benchmarked tool (so a call walks every decision step), an entry for
server-everything's `echo`, and 200 generated entries (exact names, globs, schemas, conditions, limits, deny and
require_approval) that a realistic gateway policy would carry next to it.

bodies: 1 KiB tools/call JSON-RPC requests, exactly BODY_BYTES long.
"""
import argparse
import copy
import json
import os
import sys

BODY_BYTES = 1024
HIGH_MAX = 1_000_000  # the policy engine's ceiling for `max`; never reached in a run
GENERATED_ENTRIES = 200


def customer_schema():
    return {
        "type": "object",
        "required": ["customer"],
        "properties": {
            "customer": {"type": "string", "pattern": "^cus_[A-Za-z0-9]{8,32}$"},
            "email": {"type": "string", "maxLength": 254},
            "name": {"type": "string", "maxLength": 256},
            "description": {"type": "string", "maxLength": 4096},
            "metadata": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 500}},
            "balance": {"type": "integer", "minimum": -1000000, "maximum": 1000000},
        },
        "additionalProperties": False,
    }


def generated_entry(i):
    """Five shapes in turn; every glob has a unique literal prefix, so no two globs can tie for a name."""
    kind = i % 5
    svc = f"svc{i:03d}"
    if kind == 0:
        return f"{svc}_get_record", {
            "args": {
                "type": "object",
                "required": ["id"],
                "properties": {"id": {"type": "string", "pattern": "^[a-z0-9-]{1,64}$"},
                               "fields": {"type": "array", "items": {"type": "string"}, "maxItems": 50}},
                "additionalProperties": False,
            },
            "limits": [{"counter": f"{svc}_reads", "window": "second", "max": HIGH_MAX, "scope": "identity"}],
        }
    if kind == 1:
        return f"{svc}_list_*", {"rate_limit": {"max": HIGH_MAX, "window": 60, "scope": "session"}}
    if kind == 2:
        return f"{svc}_delete_record", {"action": "deny", "reason": f"{svc} records are deleted by the batch job only"}
    if kind == 3:
        return f"{svc}_*_admin", {
            "action": "require_approval",
            "deny_if": [{"conditions": [{"arg": "scope", "op": "in", "value": ["org", "global"]}],
                         "on_deny": "Organisation-wide admin changes need a second approver."}],
        }
    return f"{svc}_transfer", {
        "args": {
            "type": "object",
            "required": ["amount", "currency", "destination"],
            "properties": {"amount": {"type": "number", "exclusiveMinimum": 0},
                           "currency": {"type": "string", "enum": ["usd", "eur", "gbp"]},
                           "destination": {"type": "string"}, "memo": {"type": "string", "maxLength": 140}},
        },
        "deny_if": [
            {"conditions": [{"arg": "amount", "op": "gt", "value": 10000}], "on_deny": "Transfers above 10,000 need approval."},
            {"conditions": [{"arg": "destination", "op": "matches", "value": "^acct_(test|sandbox)_"},
                            {"arg": "memo", "op": "exists"}], "on_deny": "No memos on sandbox transfers."},
        ],
        "limits": [{"counter": "money_movement", "window": "minute", "max": HIGH_MAX, "scope": "global"}],
    }


def build_policy(seed, limit_window):
    policy = copy.deepcopy(seed)
    entry = policy["tools"]["update_customer"]
    for limit in entry.get("limits", []):
        limit["max"] = HIGH_MAX
        limit["window"] = limit_window
    entry["args"] = customer_schema()
    entry["deny_if"] = [
        {"conditions": [{"arg": "email", "op": "ends_with", "value": "@competitor.example"}],
         "on_deny": "Customers may not be pointed at a competitor's mailbox."},
        {"conditions": [{"arg": "metadata.tier", "op": "eq", "value": "internal"},
                        {"arg": "balance", "op": "lt", "value": 0}],
         "on_deny": "Internal accounts cannot carry a negative balance."},
        {"conditions": [{"arg": "description", "op": "matches", "value": "(?i)ignore (all|previous) instructions"}],
         "on_deny": "Prompt-injection marker in description."},
    ]
    policy["tools"]["echo"] = {
        "args": {"type": "object", "required": ["message"],
                 "properties": {"message": {"type": "string", "maxLength": 8192}}},
        "deny_if": [{"conditions": [{"arg": "message", "op": "contains", "value": "rm -rf /"}], "on_deny": "No."}],
        "limits": [{"counter": "echo_rate", "window": limit_window, "max": HIGH_MAX, "scope": "session"}],
    }
    policy["limits"] = [{"counter": "per_caller_burst", "window": "second", "max": HIGH_MAX, "scope": "identity"}]
    for i in range(GENERATED_ENTRIES):
        name, body = generated_entry(i)
        policy["tools"][name] = body
    return policy


def padded_body(make, pad_field="pad"):
    """Builds the JSON body with a padding string sized so the serialized body is exactly BODY_BYTES."""
    probe = json.dumps(make(""), separators=(",", ":"))
    missing = BODY_BYTES - len(probe.encode())
    if missing < 0:
        sys.exit(f"make_policy: body skeleton is already {len(probe)} bytes, more than {BODY_BYTES}")
    body = json.dumps(make("x" * missing), separators=(",", ":"))
    assert len(body.encode()) == BODY_BYTES, len(body)
    return body


def customer_call(pad):
    return {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {
        "name": "update_customer",
        "arguments": {"customer": "cus_Nf2kT9xQ4bZ8Lm", "email": "jenny.rosen@example.com", "name": "Jenny Rosen",
                      "balance": 2500, "metadata": {"tier": "gold", "order_id": "6735", "region": "eu-west-1"},
                      "description": "Loyal customer since 2019; prefers email. " + pad}}}


def echo_call(pad):
    return {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "echo", "arguments": {"message": "hello from the toolgate load benchmark " + pad}}}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out_dir")
    parser.add_argument("--limit-window", default="second",
                        help="window of the benchmarked tools' limits (second keeps the sliding-window state small)")
    args = parser.parse_args()
    with open(os.path.join(here, "stripe-update_customer.json")) as f:
        seed = json.load(f)
    policy = build_policy(seed, args.limit_window)
    with open(os.path.join(args.out_dir, "policy.json"), "w") as f:
        json.dump(policy, f, indent=1)
    with open(os.path.join(args.out_dir, "body-update_customer.json"), "w") as f:
        f.write(padded_body(customer_call))
    with open(os.path.join(args.out_dir, "body-echo.json"), "w") as f:
        f.write(padded_body(echo_call))
    print(f"make_policy: {len(policy['tools'])} tool entries, bodies of {BODY_BYTES} bytes in {args.out_dir}")


if __name__ == "__main__":
    main()
