package io.pgflash.benchmarks;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.Position;
import io.pgflash.core.Row;
import io.pgflash.core.TableName;
import io.pgflash.kafka.ChangeEventJson;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * The Kafka bridge's per-record CPU: an INSERT of a typical 8-column row written as a record's key and JSON value
 * (the bridge's own work per event, besides the producer's).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class KafkaRecordBenchmark {

    private final ChangeEvent insert = insert();

    /** The record value: the event as JSON. */
    @Benchmark
    public byte[] writeValue() {
        return ChangeEventJson.value(insert);
    }

    /** The record key: the key columns as JSON. */
    @Benchmark
    public byte[] writeKey() {
        return ChangeEventJson.key(insert);
    }

    private static ChangeEvent insert() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("id", 123456L);
        values.put("title", "Hello, pgflash: a typical title");
        values.put("status", "published");
        values.put("n", 42);
        values.put("created_at", OffsetDateTime.of(2026, 11, 22, 10, 15, 30, 123_456_000, ZoneOffset.UTC));
        values.put("price", new BigDecimal("1234.50"));
        values.put("flag", true);
        values.put("uid", UUID.fromString("3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"));
        Row row = new Row(values);
        return new ChangeEvent(Operation.INSERT, Operation.INSERT, new TableName("public", "posts"), row, null,
                row.only(Set.of("id")), Set.of(), 7654321, Instant.parse("2026-11-22T10:15:30.124567Z"),
                new Position(24117248, 3));
    }
}
