// The sample's page: events arrive over Server-Sent Events; buttons write through the JSON API.
'use strict';

const MAX_EVENTS = 100;
const MAX_NOTES = 12;
const POSTS_SHOWN = 8;
const CHART_SECONDS = 60;
const perSecond = new Map(); // epoch second -> events received

const $ = (id) => document.getElementById(id);

// Writes send JSON, which the server requires (another site cannot send it without CORS).
async function api(method, path, body = {}) {
    const response = await fetch(path, {
        method,
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify(body),
    });
    if (!response.ok) {
        const problem = await response.json().catch(() => ({}));
        alert(`${method} ${path} failed: ${problem.detail || response.status}`);
    }
    return response;
}

// ---- the live feed

function connect() {
    const source = new EventSource('/events');
    source.onopen = () => setBadge($('connection'), 'feed connected', 'up');
    source.onerror = () => setBadge($('connection'), 'feed reconnecting…', 'down');
    source.addEventListener('change', (message) => showEvent(JSON.parse(message.data)));
    source.addEventListener('note', (message) => showNote(JSON.parse(message.data)));
}

// ---- this page's own stream: one subscription on the server, filtered by the status chosen

let watched = null;

function watch(status) {
    if (watched) {
        watched.close(); // the server cancels its subscription
    }
    $('watched').replaceChildren();
    watched = new EventSource(`/events/posts?status=${encodeURIComponent(status)}`);
    watched.addEventListener('change', (message) => showWatched(JSON.parse(message.data)));
    watched.addEventListener('gap', (message) => showWatched({gap: JSON.parse(message.data).reason}));
}

function showWatched(event) {
    const item = document.createElement('li');
    if (event.gap) {
        item.className = 'event gap';
        item.textContent = `gap: ${event.gap}`;
    } else {
        const row = event.operation === 'DELETE' ? event.oldRow : event.newRow;
        item.className = `event op-${event.operation.toLowerCase()}`;
        item.dataset.operation = event.operation;
        item.innerHTML = `<span class="op">${event.operation}</span>
            <span class="meta">(${escape(event.sourceOperation)} in the database)</span>
            #${escape(String(row.id))} ${escape(row.title)}`;
    }
    const list = $('watched');
    list.prepend(item);
    while (list.children.length > MAX_NOTES) {
        list.lastChild.remove();
    }
}

function showEvent(event) {
    // counted in the second it was committed, so the recent events a new page gets land where they belong
    const second = Math.floor(Date.parse(event.commitTime) / 1000);
    perSecond.set(second, (perSecond.get(second) || 0) + 1);

    const item = document.createElement('li');
    item.className = `event op-${event.operation.toLowerCase()}`;
    item.dataset.table = event.table;
    item.dataset.operation = event.operation;
    const key = event.key ? Object.entries(event.key).map(([k, v]) => `${k}=${v}`).join(', ') : '';
    const row = event.operation === 'DELETE' ? event.oldRow : event.newRow;
    const changed = event.changedColumns && event.changedColumns.length
        ? ` · changed: ${event.changedColumns.join(', ')}` : '';
    item.innerHTML = `
        <div class="line">
            <span class="op">${event.operation}</span>
            <span class="table">${escape(event.table)}</span>
            <span class="key">${escape(key)}</span>
            <span class="meta">${event.latencyMs} ms · position ${escape(event.position)}</span>
        </div>
        <div class="row">${row ? escape(JSON.stringify(row)) : '<em>all rows</em>'}${escape(changed)}</div>`;
    const list = $('events');
    list.prepend(item);
    while (list.children.length > MAX_EVENTS) {
        list.lastChild.remove();
    }
    schedulePostsRefresh();
}

function showNote(note) {
    const item = document.createElement('li');
    item.innerHTML = `<span class="listener">${escape(note.listener)}</span> ${escape(note.text)}`;
    const list = $('notes');
    list.prepend(item);
    while (list.children.length > MAX_NOTES) {
        list.lastChild.remove();
    }
}

// ---- the posts, as the server's event-fed cache has them

let refreshPending = false;

function schedulePostsRefresh() {
    if (!refreshPending) {
        refreshPending = true;
        setTimeout(() => { refreshPending = false; refreshPosts(); }, 150);
    }
}

// the cache's snapshot: loading while it runs (the page asks again until it completes), then done
function showSnapshot(snapshot) {
    const label = $('snapshot');
    if (!snapshot || snapshot.running === undefined) {
        label.textContent = '';
    } else if (snapshot.running) {
        label.textContent = snapshot.percent >= 0 ? `snapshot loading: ${snapshot.percent}%`
            : `snapshot loading: ${snapshot.rowsRead} rows read`;
        schedulePostsRefresh();
    } else {
        label.textContent = `snapshot complete: ${snapshot.rowsRead} rows read`;
    }
}

async function refreshPosts() {
    const {total, posts, snapshot} = await (await fetch(`/api/posts?limit=${POSTS_SHOWN}`)).json();
    showSnapshot(snapshot);
    const body = $('posts').querySelector('tbody');
    body.innerHTML = '';
    for (const post of posts) {
        const row = document.createElement('tr');
        row.innerHTML = `<td>${escape(post.id)}</td><td>${escape(post.title)}</td>
            <td><span class="status-${escape(post.status)}">${escape(post.status)}</span></td>
            <td class="row-actions">
                <button data-action="publish">Publish</button>
                <button data-action="rename">Rename</button>
                <button data-action="comment">Comment</button>
                <button data-action="delete" class="danger">Delete</button>
            </td>`;
        row.querySelectorAll('button').forEach((button) =>
            button.addEventListener('click', () => act(button.dataset.action, post)));
        body.append(row);
    }
    $('no-posts').hidden = total > 0;
    $('post-count').textContent = total > posts.length ? `newest ${posts.length} of ${total}` : '';
}

function act(action, post) {
    switch (action) {
        case 'publish': return api('POST', `/api/posts/${post.id}/publish`);
        case 'rename': return api('POST', `/api/posts/${post.id}/title`, {title: `${post.title}!`});
        case 'comment': return api('POST', `/api/posts/${post.id}/comments`, {author: 'you', body: 'Nice post'});
        case 'delete': return api('DELETE', `/api/posts/${post.id}`);
    }
}

// ---- driver and health

async function refreshDriver() {
    const driver = await (await fetch('/api/driver')).json();
    setBadge($('driver'), `driver: ${driver.driver} (${driver.mode})`, 'info');
}

async function refreshHealth() {
    try {
        const health = await (await fetch('/actuator/health/pgflash')).json();
        setBadge($('health'), `pgflash ${health.status}`, health.status === 'UP' ? 'up' : 'down');
        const details = health.details || {};
        const shown = {
            state: details.state,
            'NOTIFY queue usage': details.notifyQueueUsage === undefined
                ? undefined : `${(details.notifyQueueUsage * 100).toFixed(2)} %`,
            'slot lag': details.slot ? `${details.slot.lagBytes} bytes (${details.slot.name})` : undefined,
            'durable backlog': details.backlog,
            'last event': details.lastEventAge,
            listeners: details.listeners ? Object.keys(details.listeners).length : undefined,
            reason: details.reason,
        };
        $('health-details').innerHTML = Object.entries(shown)
            .filter(([, value]) => value !== undefined)
            .map(([name, value]) => `<dt>${escape(name)}</dt><dd>${escape(String(value))}</dd>`).join('');
    } catch (e) {
        setBadge($('health'), 'health unavailable', 'down');
    }
}

function setBadge(element, text, kind) {
    element.textContent = text;
    element.className = `badge ${kind}`;
}

// ---- the chart: events per second over the last minute

function drawChart() {
    const canvas = $('chart');
    const context = canvas.getContext('2d');
    const now = Math.floor(Date.now() / 1000);
    const counts = [];
    for (let second = now - CHART_SECONDS + 1; second <= now; second++) {
        counts.push(perSecond.get(second) || 0);
    }
    for (const second of perSecond.keys()) {
        if (second <= now - CHART_SECONDS) perSecond.delete(second);
    }
    const max = Math.max(10, ...counts);
    const width = canvas.width / CHART_SECONDS;
    context.clearRect(0, 0, canvas.width, canvas.height);
    context.fillStyle = '#e8eef5';
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.fillStyle = '#2f6fb3';
    counts.forEach((count, i) => {
        const height = (count / max) * (canvas.height - 18);
        context.fillRect(i * width + 1, canvas.height - height, width - 2, height);
    });
    context.fillStyle = '#334';
    context.font = '12px sans-serif';
    context.fillText(`max ${max}/s · now ${counts[counts.length - 1]}/s`, 6, 14);
}

function escape(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
}

// ---- wiring

$('new-post').addEventListener('submit', (e) => {
    e.preventDefault();
    api('POST', '/api/posts', {title: $('title').value || 'Hello, pgflash', status: $('status').value});
    $('title').value = '';
});
$('burst').addEventListener('click', () => api('POST', '/api/posts/burst', {count: 100}));
$('truncate').addEventListener('click', () => api('POST', '/api/truncate'));

connect();
watch($('watch').value);
$('watch').addEventListener('change', () => watch($('watch').value));
refreshDriver();
refreshPosts();
refreshHealth();
setInterval(refreshHealth, 2000);
setInterval(drawChart, 500);
drawChart();
