package io.pgflash.core.internal.pgoutput;

import java.util.List;

/**
 * The messages of PostgreSQL's built-in {@code pgoutput} plugin (protocol versions 1 and 2) that pgflash uses.
 * LSNs are raw 64-bit values; times are microseconds since 2000-01-01. {@code xid} is set (non-zero) only inside
 * a streamed transaction (protocol 2).
 */
public sealed interface PgOutputMessage {

    record Begin(long finalLsn, long commitMicros, int xid) implements PgOutputMessage {
    }

    record Commit(long commitLsn, long endLsn, long commitMicros) implements PgOutputMessage {
    }

    /** A table's published columns; sent before the first change of it in each session and after it changes. */
    record Relation(int xid, int relid, String schema, String name, char replicaIdentity, List<RelationColumn> columns)
            implements PgOutputMessage {
    }

    record RelationColumn(String name, int typeOid, boolean key) {
    }

    record Insert(int xid, int relid, TupleData newTuple) implements PgOutputMessage {
    }

    /** {@code oldTuple} is null unless the key changed ({@code K}) or the table has REPLICA IDENTITY FULL ({@code O}). */
    record Update(int xid, int relid, TupleData oldTuple, boolean oldIsKeyOnly, TupleData newTuple)
            implements PgOutputMessage {
    }

    record Delete(int xid, int relid, TupleData oldTuple, boolean oldIsKeyOnly) implements PgOutputMessage {
    }

    record Truncate(int xid, List<Integer> relids) implements PgOutputMessage {
    }

    /** A logical decoding message ({@code pg_logical_emit_message}); pgflash's heartbeats are non-transactional ones. */
    record LogicalMessage(int xid, boolean transactional, long lsn, String prefix, byte[] content)
            implements PgOutputMessage {
    }

    record StreamStart(int xid, boolean firstSegment) implements PgOutputMessage {
    }

    record StreamStop() implements PgOutputMessage {
    }

    record StreamCommit(int xid, long commitLsn, long endLsn, long commitMicros) implements PgOutputMessage {
    }

    record StreamAbort(int xid, int subXid) implements PgOutputMessage {
    }

    /** Origin and type messages, which pgflash does not need. */
    record Ignored(char kind) implements PgOutputMessage {
    }

    /**
     * One tuple's column values in relation order: text, {@code null} for NULL, or {@link io.pgflash.core.driver.RowDecoder#UNCHANGED} for an unchanged
     * TOASTed value that was not sent.
     */
    record TupleData(List<String> values) {
    }
}
