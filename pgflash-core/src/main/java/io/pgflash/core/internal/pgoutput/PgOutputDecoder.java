package io.pgflash.core.internal.pgoutput;

import io.pgflash.core.internal.pgoutput.PgOutputMessage.Begin;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.Commit;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.Delete;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.Ignored;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.Insert;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.LogicalMessage;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.Relation;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.RelationColumn;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.StreamAbort;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.StreamCommit;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.StreamStart;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.StreamStop;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.Truncate;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.TupleData;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.Update;
import io.pgflash.core.driver.RowDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads pgoutput's binary messages (see "Logical Replication Message Formats" in the PostgreSQL manual). Inside a
 * streamed transaction (between Stream Start and Stream Stop) change messages carry the transaction id first.
 */
public final class PgOutputDecoder {

    private boolean inStream;

    /** Forgets stream state, for a new connection. */
    public void reset() {
        inStream = false;
    }

    /**
     * Decodes a change kept from inside a streamed transaction (so it carries its transaction id) after the stream
     * ended.
     */
    public PgOutputMessage decodeStreamed(ByteBuffer buffer) {
        boolean was = inStream;
        inStream = true;
        try {
            return decode(buffer);
        } finally {
            inStream = was;
        }
    }

    public PgOutputMessage decode(ByteBuffer buffer) {
        char kind = (char) buffer.get();
        return switch (kind) {
            case 'B' -> new Begin(buffer.getLong(), buffer.getLong(), buffer.getInt());
            case 'C' -> {
                buffer.get(); // flags, unused
                yield new Commit(buffer.getLong(), buffer.getLong(), buffer.getLong());
            }
            case 'R' -> relation(buffer);
            case 'I' -> {
                int xid = streamXid(buffer);
                int relid = buffer.getInt();
                expect(buffer, 'N');
                yield new Insert(xid, relid, tuple(buffer));
            }
            case 'U' -> update(buffer);
            case 'D' -> {
                int xid = streamXid(buffer);
                int relid = buffer.getInt();
                char old = (char) buffer.get();
                yield new Delete(xid, relid, tuple(buffer), old == 'K');
            }
            case 'T' -> {
                int xid = streamXid(buffer);
                int count = buffer.getInt();
                buffer.get(); // CASCADE / RESTART IDENTITY flags
                List<Integer> relids = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    relids.add(buffer.getInt());
                }
                yield new Truncate(xid, relids);
            }
            case 'M' -> {
                int xid = streamXid(buffer);
                boolean transactional = (buffer.get() & 1) != 0;
                long lsn = buffer.getLong();
                String prefix = string(buffer);
                byte[] content = new byte[buffer.getInt()];
                buffer.get(content);
                yield new LogicalMessage(xid, transactional, lsn, prefix, content);
            }
            case 'S' -> {
                inStream = true;
                yield new StreamStart(buffer.getInt(), buffer.get() == 1);
            }
            case 'E' -> {
                inStream = false;
                yield new StreamStop();
            }
            case 'c' -> {
                int xid = buffer.getInt();
                buffer.get(); // flags
                yield new StreamCommit(xid, buffer.getLong(), buffer.getLong(), buffer.getLong());
            }
            case 'A' -> new StreamAbort(buffer.getInt(), buffer.getInt());
            case 'O', 'Y' -> new Ignored(kind);
            default -> throw new IllegalStateException("Unknown pgoutput message '" + kind + "'");
        };
    }

    private int streamXid(ByteBuffer buffer) {
        return inStream ? buffer.getInt() : 0;
    }

    private Relation relation(ByteBuffer buffer) {
        int xid = streamXid(buffer);
        int relid = buffer.getInt();
        String schema = string(buffer);
        String name = string(buffer);
        char identity = (char) buffer.get();
        int count = buffer.getShort();
        List<RelationColumn> columns = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            boolean key = (buffer.get() & 1) != 0;
            String column = string(buffer);
            int type = buffer.getInt();
            buffer.getInt(); // type modifier
            columns.add(new RelationColumn(column, type, key));
        }
        return new Relation(xid, relid, schema.isEmpty() ? "pg_catalog" : schema, name, identity, columns);
    }

    private Update update(ByteBuffer buffer) {
        int xid = streamXid(buffer);
        int relid = buffer.getInt();
        char next = (char) buffer.get();
        TupleData old = null;
        boolean keyOnly = false;
        if (next == 'K' || next == 'O') {
            keyOnly = next == 'K';
            old = tuple(buffer);
            next = (char) buffer.get();
        }
        if (next != 'N') {
            throw new IllegalStateException("Expected 'N' in an update message, got '" + next + "'");
        }
        return new Update(xid, relid, old, keyOnly, tuple(buffer));
    }

    private static TupleData tuple(ByteBuffer buffer) {
        int count = buffer.getShort();
        List<String> values = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            char kind = (char) buffer.get();
            switch (kind) {
                case 'n' -> values.add(null);
                case 'u' -> values.add(RowDecoder.UNCHANGED);
                case 't' -> {
                    int length = buffer.getInt();
                    values.add(new String(buffer.array(), buffer.arrayOffset() + buffer.position(), length,
                            StandardCharsets.UTF_8));
                    buffer.position(buffer.position() + length);
                }
                default -> throw new IllegalStateException("Unknown tuple value kind '" + kind + "'");
            }
        }
        return new TupleData(values);
    }

    private static String string(ByteBuffer buffer) {
        int start = buffer.position();
        while (buffer.get() != 0) {
            // find the terminating zero
        }
        return new String(buffer.array(), buffer.arrayOffset() + start, buffer.position() - start - 1,
                StandardCharsets.UTF_8);
    }

    private static void expect(ByteBuffer buffer, char expected) {
        char actual = (char) buffer.get();
        if (actual != expected) {
            throw new IllegalStateException("Expected '" + expected + "' in pgoutput message, got '" + actual + "'");
        }
    }
}
