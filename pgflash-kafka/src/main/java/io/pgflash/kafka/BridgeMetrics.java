package io.pgflash.kafka;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bridge's meters: {@code pgflash.kafka.records.sent} and {@code pgflash.kafka.errors} per topic,
 * {@code pgflash.kafka.send} (from sending a batch to the last acknowledgement of its records) and
 * {@code pgflash.kafka.records.pending}. Sent records and the send time are counted per batch, not per record: the
 * producer's thread that runs the acknowledgements stays free for sending.
 */
final class BridgeMetrics {

    private final MeterRegistry registry;
    private final AtomicLong pending = new AtomicLong();
    private final Timer sendTime;
    private final Map<String, Counter> sent = new ConcurrentHashMap<>();
    private final Map<String, Counter> errors = new ConcurrentHashMap<>();

    BridgeMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.sendTime = Timer.builder("pgflash.kafka.send")
                .description("Time from sending a batch of records to the broker's acknowledgement of the last")
                .register(registry);
        Gauge.builder("pgflash.kafka.records.pending", pending, AtomicLong::get)
                .description("Records sent to Kafka and not acknowledged yet").register(registry);
    }

    void sending() {
        pending.incrementAndGet();
    }

    /** The broker answered a record (acknowledged it, counted with its batch in {@link #acknowledged}). */
    void answered() {
        pending.decrementAndGet();
    }

    /** A batch's acknowledged records, per topic; {@code sentAtNanos} is when its first was sent. */
    void acknowledged(Map<String, Integer> recordsPerTopic, long sentAtNanos) {
        if (recordsPerTopic.isEmpty()) {
            return;
        }
        sendTime.record(System.nanoTime() - sentAtNanos, TimeUnit.NANOSECONDS);
        recordsPerTopic.forEach((topic, records) -> sent.computeIfAbsent(topic, name ->
                Counter.builder("pgflash.kafka.records.sent").tag("topic", name)
                        .description("Records the broker acknowledged").register(registry)).increment(records));
    }

    void failed(String topic) {
        pending.decrementAndGet();
        errors.computeIfAbsent(topic, name -> Counter.builder("pgflash.kafka.errors").tag("topic", name)
                .description("Records the broker did not acknowledge (each is sent again)").register(registry))
                .increment();
    }

    long pending() {
        return pending.get();
    }
}
