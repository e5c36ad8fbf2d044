package io.pgflash.benchmarks;

import io.pgflash.core.Row;
import io.pgflash.core.internal.pgoutput.PgOutputDecoder;
import io.pgflash.core.internal.pgoutput.PgOutputMessage;
import io.pgflash.core.TableName;
import io.pgflash.core.catalog.Column;
import io.pgflash.core.catalog.TableMetadata;
import io.pgflash.core.driver.RowDecoder;
import io.pgflash.core.catalog.PgType;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The WAL driver's per-row CPU: parsing one pgoutput Insert message of a typical 8-column row, and turning its text
 * values into typed Java values (the row mapping every driver shares).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class DecodingBenchmark {

    private static final List<String> VALUES = List.of("123456", "Hello, pgflash: a typical title", "published",
            "42", "2026-11-22 10:15:30.123456+00", "1234.50", "t", "3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f");
    /** As the drivers hold them: a table's described columns, which know each name's place. */
    private static final List<Column> COLUMNS = new TableMetadata(16384, TableName.of("public", "posts"), List.of(
            new Column("id", scalar(20, "bigint")), new Column("title", scalar(25, "text")),
            new Column("status", scalar(25, "text")), new Column("n", scalar(23, "integer")),
            new Column("created_at", scalar(1184, "timestamp with time zone")),
            new Column("price", scalar(1700, "numeric")), new Column("flag", scalar(16, "boolean")),
            new Column("uid", scalar(2950, "uuid"))), List.of("id"), 'd').columns();

    private final PgOutputDecoder decoder = new PgOutputDecoder();
    private byte[] insertMessage;

    @Setup
    public void encodeMessage() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte('I');
            out.writeInt(16384);
            out.writeByte('N');
            out.writeShort(VALUES.size());
            for (String value : VALUES) {
                byte[] text = value.getBytes(StandardCharsets.UTF_8);
                out.writeByte('t');
                out.writeInt(text.length);
                out.write(text);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        insertMessage = bytes.toByteArray();
    }

    /** pgoutput bytes to the message with its text values. */
    @Benchmark
    public PgOutputMessage parseInsertMessage() {
        return decoder.decode(ByteBuffer.wrap(insertMessage));
    }

    /** Text values to a typed row (long, String, int, OffsetDateTime, BigDecimal, Boolean, UUID). */
    @Benchmark
    public Row mapRowValues() {
        return RowDecoder.decode(COLUMNS, VALUES, true);
    }

    private static PgType scalar(int oid, String name) {
        return new PgType(oid, oid, null, ',', name);
    }
}
