package io.pgflash.benchmarks;

/** Something that reads the {@code bench} table's changes and counts them: a pgflash driver, or Debezium. */
interface ChangeConsumer extends AutoCloseable {

    String name();

    /** Starts (or resumes) reading from where it stopped; returns once it reads. */
    void start() throws Exception;

    /** Stops reading and keeps its position (slot, group), so what is written meanwhile waits for it. */
    void stop() throws Exception;

    /** The events received since creation, and when they arrived. */
    Arrivals arrivals();

    /** Events received since creation. */
    default long received() {
        return arrivals().count();
    }

    /** Insert-to-listener latencies, where the consumer was made to record them; else null. */
    Latencies latencies();

    /** Stops and removes what it created in the database. */
    @Override
    void close() throws Exception;
}
