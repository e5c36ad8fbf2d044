package io.pgflash.benchmarks;

/** Something that reads the {@code bench} table's changes and counts them: a pgflash driver, or Debezium. */
interface ChangeConsumer extends AutoCloseable {

    String name();

    /** Starts (or resumes) reading from where it stopped. */
    void start() throws Exception;

    /** Stops reading and keeps its position (slot, group), so what is written meanwhile waits for it. */
    void stop() throws Exception;

    /** Events received since creation. */
    long received();

    /** Commit-to-listener latencies, where the consumer records them. */
    Latencies latencies();

    /** Stops and removes what it created in the database. */
    @Override
    void close() throws Exception;
}
