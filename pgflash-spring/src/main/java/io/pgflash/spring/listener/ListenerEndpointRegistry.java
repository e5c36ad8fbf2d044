package io.pgflash.spring.listener;

import io.pgflash.core.BatchChangeListener;
import io.pgflash.core.ChangeListener;
import io.pgflash.core.PgFlash;
import io.pgflash.core.PgFlashException;
import io.pgflash.core.Subscription;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.springframework.context.SmartLifecycle;

/**
 * The single lifecycle of pgflash in a Spring application: starts the client and subscribes the
 * {@code @PgChangeListener} endpoints once the context is ready (a late phase), stops them gracefully on shutdown
 * (an early phase), rejects duplicate ids, and starts or stops single listeners by id at run time.
 */
public class ListenerEndpointRegistry implements SmartLifecycle {

    /** The name of the thread that keeps the JVM running while the listeners run. */
    public static final String KEEP_ALIVE_THREAD = "pgflash-keep-alive";

    /** Start after everything else, stop before it. */
    public static final int PHASE = Integer.MAX_VALUE - 1000;

    private final PgFlash flash;
    private final Map<String, ListenerEndpoint> endpoints = new LinkedHashMap<>();
    private final Map<String, Subscription> running = new LinkedHashMap<>();
    private boolean started;
    private Thread keepAlive;
    /** Whether the auto-start listeners were subscribed; subscriptions outlive stop() and start() again with it. */
    private boolean initialized;

    public ListenerEndpointRegistry(PgFlash flash) {
        this.flash = flash;
    }

    /** Adds an endpoint; its id must be new. */
    public synchronized void register(ListenerEndpoint endpoint) {
        ListenerEndpoint existing = endpoints.putIfAbsent(endpoint.id(), endpoint);
        if (existing != null) {
            throw new InvalidListenerException("Listener id '" + endpoint.id() + "' is used by both "
                    + existing.listener() + " and " + endpoint.listener() + "; ids must be unique");
        }
        if (initialized && endpoint.autoStartup()) {
            try {
                subscribe(endpoint);
            } catch (RuntimeException e) {
                endpoints.remove(endpoint.id(), endpoint); // a bean created again later may register it then
                throw e;
            }
        }
    }

    /** The ids of all endpoints, running or not. */
    public synchronized List<String> listenerIds() {
        return new ArrayList<>(endpoints.keySet());
    }

    /** Whether the listener with this id is subscribed and the client runs. */
    public synchronized boolean isRunning(String id) {
        return started && running.containsKey(id);
    }

    /**
     * Subscribes one listener (no-op if it runs): it gets the changes from now on, as a new subscription does (and its
     * snapshot, if its mode takes one at start).
     */
    public synchronized void start(String id) {
        ListenerEndpoint endpoint = endpoint(id);
        if (!running.containsKey(id)) {
            subscribe(endpoint);
        }
    }

    /**
     * Cancels one listener; the event in hand finishes. This is not a pause: the group's stream goes on for the other
     * listeners, so the changes committed while it is stopped never reach it.
     */
    public synchronized void stop(String id) {
        endpoint(id);
        Subscription subscription = running.remove(id);
        if (subscription != null) {
            subscription.cancel();
        }
    }

    /**
     * Reads the listener's table again for it alone while the stream goes on (a cache rebuild): its method gets every
     * current row matching its filter as a {@code READ} event, between two {@link PgChangeListenerSnapshot} events.
     * Completes with the rows delivered. The listener must be running. Ask from a thread of your own, not from a
     * listener: this waits for the registry's lock, which a stopping application holds while it waits for listeners.
     */
    public synchronized CompletableFuture<Long> snapshot(String id) {
        endpoint(id);
        Subscription subscription = running.get(id);
        if (subscription == null || !started) {
            throw new IllegalStateException("Listener " + id + " is not running; start it before taking a snapshot");
        }
        return flash.snapshot(subscription);
    }

    /**
     * Subscribes the auto-start listeners (the first time), then starts the client, so what a WAL slot replays at
     * start finds them.
     */
    @Override
    public synchronized void start() {
        if (started) {
            return;
        }
        if (!initialized) {
            for (ListenerEndpoint endpoint : endpoints.values()) {
                if (endpoint.autoStartup() && !running.containsKey(endpoint.id())) {
                    subscribe(endpoint);
                }
            }
            initialized = true;
        }
        flash.start();
        started = true;
        keepAlive = keepAlive();
    }

    /**
     * A thread that is not a daemon, from start to stop: the client's threads are daemons, and an application that
     * only listens (no web server) must not end once started, as one with a Kafka listener does not.
     */
    private static Thread keepAlive() {
        Thread thread = new Thread(() -> {
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException stopped) {
                Thread.currentThread().interrupt();
            }
        }, KEEP_ALIVE_THREAD);
        thread.setDaemon(false);
        thread.start();
        return thread;
    }

    /**
     * Stops the client: it delivers what it read (within the shutdown timeout) and keeps the subscriptions for the
     * next start, and with them the durable group's triggers and events or the WAL slot (notify mode removes this
     * instance's triggers).
     */
    @Override
    public synchronized void stop() {
        if (!started) {
            return;
        }
        started = false;
        keepAlive.interrupt();
        keepAlive = null;
        flash.stop();
    }

    @Override
    public synchronized boolean isRunning() {
        return started;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    private void subscribe(ListenerEndpoint endpoint) {
        try {
            Subscription subscription = endpoint.batch()
                    ? flash.subscribeBatch(endpoint.spec(), (BatchChangeListener) endpoint.listener())
                    : flash.subscribe(endpoint.spec(), (ChangeListener) endpoint.listener());
            running.put(endpoint.id(), subscription);
        } catch (PgFlashException e) {
            throw new InvalidListenerException("Listener " + endpoint.listener() + " (id '" + endpoint.id()
                    + "'): " + e.getMessage(), e);
        }
    }

    private ListenerEndpoint endpoint(String id) {
        ListenerEndpoint endpoint = endpoints.get(id);
        if (endpoint == null) {
            throw new IllegalArgumentException("No @PgChangeListener with id '" + id + "'; known: " + endpoints.keySet());
        }
        return endpoint;
    }
}
