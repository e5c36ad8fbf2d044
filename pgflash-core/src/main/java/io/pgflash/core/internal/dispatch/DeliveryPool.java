package io.pgflash.core.internal.dispatch;

import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.RejectedExecutionException;
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

    /**
     * Runs each of {@code tasks} on the pool, handed over as one task that the pool's threads split among themselves
     * (one wake-up instead of one per task; a task that blocks holds up none of the others). False when the pool
     * takes nothing more (shut down).
     */
    boolean executeAll(List<? extends Runnable> tasks) {
        try {
            if (tasks.size() == 1) {
                executor.execute(tasks.get(0));
            } else {
                executor.execute(new Split(tasks, 0, tasks.size()));
            }
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    /** Forks off the upper halves of its range (for idle threads to take), then runs the first task itself. */
    private static final class Split extends RecursiveAction {
        private final List<? extends Runnable> tasks;
        private final int from;
        private final int to;

        Split(List<? extends Runnable> tasks, int from, int to) {
            this.tasks = tasks;
            this.from = from;
            this.to = to;
        }

        @Override
        protected void compute() {
            int end = to;
            while (end - from > 1) {
                int middle = (from + end) >>> 1;
                new Split(tasks, middle, end).fork();
                end = middle;
            }
            tasks.get(from).run();
        }
    }

    /** Lets the threads end once what they run returns; nothing new is taken. */
    public void shutdown() {
        executor.shutdown();
    }
}
