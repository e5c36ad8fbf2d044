package io.pgflash.core.internal.dispatch;

import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that run a client's listeners, shared by all its subscriptions: a hundred thousand subscriptions (one
 * per connected client) take this many threads, not one each. Threads start as work comes and end after a while
 * idle. A listener that blocks holds one of them; as many listeners blocked at once hold up the others' delivery.
 */
public final class DeliveryPool implements Executor {

    /** Enough for listeners that wait on I/O (a JDBC write, an HTTP call) without one thread per subscription. */
    public static final int DEFAULT_THREADS = 32;
    private static final AtomicInteger POOLS = new AtomicInteger();

    private final ForkJoinPool executor;

    public DeliveryPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("delivery threads must be at least 1, got " + threads);
        }
        String prefix = "pgflash-delivery-" + POOLS.incrementAndGet() + "-";
        AtomicInteger count = new AtomicInteger();
        // listeners see the class loader of the code that made the client (an application's, in a Spring Boot jar)
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        // a work-stealing pool in FIFO mode: it hands a lane to a thread for less than a queue shared by all threads,
        // which counts when every event goes to another subscription
        executor = new ForkJoinPool(threads, pool -> {
            ForkJoinWorkerThread thread = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
            thread.setName(prefix + count.incrementAndGet());
            thread.setDaemon(true);
            thread.setContextClassLoader(loader);
            return thread;
        }, null, true);
    }

    @Override
    public void execute(Runnable task) {
        executor.execute(task);
    }

    /** Lets the threads end once what they run returns; nothing new is taken. */
    public void shutdown() {
        executor.shutdown();
    }
}
