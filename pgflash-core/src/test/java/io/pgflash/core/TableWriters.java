package io.pgflash.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.test.TestDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Four writers of deletes, inserts, key changes and updates on a table {@code (id int PRIMARY KEY, title text,
 * version int)}, a statement after another, until closed. A row's version only grows, and ids are never reused, so a
 * copy can tell an older state from a newer one. Each writes at most {@value #STATEMENTS_PER_SECOND} statements a
 * second: unpaced, four writers outrun a WAL reader on two busy cores (PostgreSQL 14 in CI), the stream's lag grows
 * without end, and a snapshot, which moves at the stream's pace, never ends while they write.
 */
public final class TableWriters implements AutoCloseable {

    private static final int WRITERS = 4;
    private static final int STATEMENTS_PER_SECOND = 250;
    private final AtomicInteger statements = new AtomicInteger();
    private final AtomicInteger nextId;
    private final TestDatabase db;
    private final String table;
    private volatile boolean writing = true;
    private final List<Thread> threads = new ArrayList<>();
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();

    /** Starts the writers; the rows they insert take ids from {@code firstNew} on. */
    public TableWriters(TestDatabase db, String table, int firstNew) {
        this.db = db;
        this.table = table;
        this.nextId = new AtomicInteger(firstNew);
        for (int i = 0; i < WRITERS; i++) {
            int seed = 17 + i;
            Thread thread = new Thread(() -> write(seed), table + "-writer-" + i);
            thread.setUncaughtExceptionHandler((t, e) -> failures.add(e));
            threads.add(thread);
            thread.start();
        }
    }

    /** Statements committed so far. */
    public int statements() {
        return statements.get();
    }

    private void write(int seed) {
        Random random = new Random(seed);
        long interval = 1_000_000_000L / STATEMENTS_PER_SECOND;
        long next = System.nanoTime();
        try (Connection connection = db.connect(); Statement statement = connection.createStatement()) {
            while (writing) {
                next += interval;
                LockSupport.parkNanos(next - System.nanoTime()); // pacing, not waiting for a condition
                int id = 1 + random.nextInt(nextId.get() - 1);
                statement.execute(switch (random.nextInt(4)) {
                    case 0 -> "DELETE FROM " + table + " WHERE id = " + id;
                    case 1 -> "INSERT INTO " + table + " VALUES (" + nextId.getAndIncrement() + ", 'new', 0)";
                    case 2 -> "UPDATE " + table + " SET id = " + nextId.getAndIncrement() + ", version = version + 1"
                            + " WHERE id = " + id;
                    default -> "UPDATE " + table + " SET version = version + 1, title = 'changed' WHERE id = " + id;
                });
                statements.incrementAndGet();
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        writing = false;
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(failures).as("writers' failures").isEmpty();
    }
}
