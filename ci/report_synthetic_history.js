#!/usr/bin/env node
// ci/report_synthetic_history.js EVENTS OUT.jsonl — a synthetic run history.
//
// Writes a history (docs/history.md) of about EVENTS events that the checkers
// accept: four instances share the stream subscription "Orders"; every message
// is delivered, attempted and acked, one in ten fails once and is retried after
// the configured 1 s; a broker_unavailable window hits w2 for a while. Used by
// ci/report_browser_check.sh to time the HTML report on a large page. No
// randomness: the same EVENTS gives the same file.
'use strict';
const fs = require('fs');

const START = 1700000000000000;
const INSTANCES = ['w0', 'w1', 'w2', 'w3'];

function main() {
  const target = parseInt(process.argv[2], 10);
  const out = process.argv[3];
  const messages = Math.max(1, Math.floor(target * 10 / 53));  // 5 events each, 8 for one in ten
  const events = [];
  const add = (t, event, fields) => {
    const e = {t: START + t, event};
    for (const [k, v] of Object.entries(fields || {})) {
      if (v !== '' && v !== 0 && v !== null) e[k] = v;
    }
    events.push([t, events.length, e]);
  };
  for (const instance of INSTANCES) {
    add(0, 'engine_started', {instance});
    add(0, 'readiness', {instance, outcome: 'ok'});
    add(0, 'subscription_started', {instance, subscription: 'Orders', stream: 'orders'});
  }
  const span = messages * 500;  // one message every 0.5 ms
  add(Math.floor(span * 2 / 5), 'fault_started', {detail: 'broker_unavailable', instance: 'w2'});
  add(Math.floor(span * 3 / 5), 'fault_ended', {detail: 'broker_unavailable', instance: 'w2'});
  for (let i = 0; i < messages; i++) {
    const t = i * 500;
    const hex = (n, w) => n.toString(16).padStart(w, '0');
    const mid = hex(Number((BigInt(i) * 2654435761n) % 4294967296n), 8) + '-0000-4000-8000-' +
                hex(i, 12);
    const entry = (i + 1) + '-0';
    const msg = {instance: INSTANCES[i % 4], subscription: 'Orders', stream: 'orders',
                 entry_id: entry, message_id: mid};
    add(t, 'published', {stream: 'orders', message_id: mid, entry_id: entry,
                         detail: 'OrderPlaced', outcome: 'stream'});
    add(t + 300, 'delivered', {...msg, attempt: 1});
    add(t + 310, 'attempt_started', {...msg, attempt: 1});
    let attempt = 1;
    let done = t + 310 + 2000 + (i * 7919) % 3000;
    if (i % 10 === 3) {
      add(done, 'attempt_finished', {...msg, attempt: 1, outcome: 'failed',
                                     detail: 'scripted failure'});
      add(done, 'retry_scheduled', {...msg, attempt: 1, due: START + done + 1000000,
                                    value: 1000000});
      attempt = 2;
      const start = done + 1000000;
      add(start, 'attempt_started', {...msg, attempt: 2});
      done = start + 1500;
    }
    add(done, 'attempt_finished', {...msg, attempt, outcome: 'ok'});
    add(done + 200, 'acked', {...msg, attempt});
  }
  let end = 0;
  for (const e of events) end = Math.max(end, e[0]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const sub = {type: 'stream', stream: 'orders', max_retries: 3, retry_delay_seconds: 1,
               retry_backoff: 'fixed', retry_backoff_max_seconds: 60, retry_jitter: 0,
               enable_dlq: true, handler_timeout_seconds: null, claim_idle_seconds: 60,
               position_update_interval: 10, consumer_group_size: null};
  const header = {history: 1, scenario: 'synthetic/large-' + target, file: '', seed: 1,
                  mode: 'memory', drain_timeout_us: 10000000,
                  dlq: {enabled: true, retention_hours: 168, alert_threshold: 100,
                        check_interval_seconds: 60},
                  subscriptions: {Orders: sub},
                  instances: Object.fromEntries(INSTANCES.map((i) => [i, {partition: null}])),
                  expect: {}};
  const lines = [JSON.stringify(header)];
  for (const e of events) lines.push(JSON.stringify(e[2]));
  lines.push(JSON.stringify({t: START + end + 500000, event: 'end', value: events.length + 1}));
  fs.writeFileSync(out, lines.join('\n') + '\n');
  console.log(`${out}: ${events.length + 1} events, ${messages} messages`);
}

main();
