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
 * {@code pgflash.kafka.send} (from a record's send to its acknowledgement) and {@code pgflash.kafka.records.pending}.
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
                .description("Time from sending a record to the broker's acknowledgement").register(registry);
        Gauge.builder("pgflash.kafka.records.pending", pending, AtomicLong::get)
                .description("Records sent to Kafka and not acknowledged yet").register(registry);
    }

    void sending() {
        pending.incrementAndGet();
    }

    void acknowledged(String topic, long sentAtNanos) {
        pending.decrementAndGet();
        sendTime.record(System.nanoTime() - sentAtNanos, TimeUnit.NANOSECONDS);
        sent.computeIfAbsent(topic, name -> Counter.builder("pgflash.kafka.records.sent").tag("topic", name)
                .description("Records the broker acknowledged").register(registry)).increment();
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
