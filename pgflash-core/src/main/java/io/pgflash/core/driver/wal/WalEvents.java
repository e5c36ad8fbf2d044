package io.pgflash.core.driver.wal;

import io.pgflash.core.internal.pgoutput.PgOutputMessage;
import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.Position;
import io.pgflash.core.Row;
import io.pgflash.core.TableName;
import io.pgflash.core.catalog.Catalog;
import io.pgflash.core.catalog.Column;
import io.pgflash.core.driver.ConnectionFactory;
import io.pgflash.core.driver.RowDecoder;
import io.pgflash.core.internal.value.ColumnList;
import io.pgflash.core.catalog.PgType;
import io.pgflash.core.catalog.TableMetadata;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.Delete;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.Insert;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.Relation;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.RelationColumn;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.Truncate;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.TupleData;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.Update;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns pgoutput change messages into table-level {@link ChangeEvent}s: relations give column names and types,
 * tuples give text values. Old rows hold only the key columns unless the table has REPLICA IDENTITY FULL; without
 * a full old row every sent column counts as changed, since PostgreSQL does not say which changed.
 */
final class WalEvents {

    /** pgoutput's times count from 2000-01-01. */
    private static final Instant POSTGRES_EPOCH = Instant.parse("2000-01-01T00:00:00Z");

    /** Where the decoding types of columns come from. */
    @FunctionalInterface
    interface TypeSource {
        PgType type(int oid) throws SQLException;
    }

    private final TypeSource types;
    /** The tables subscribed to, by oid: a renamed one's changes keep the name it was subscribed by. */
    private final Map<Long, TableMetadata> subscribed;
    private final Map<Integer, RelationInfo> relations = new HashMap<>();

    WalEvents(TypeSource types) {
        this(types, Map.of());
    }

    WalEvents(TypeSource types, Map<Long, TableMetadata> subscribed) {
        this.types = types;
        this.subscribed = subscribed;
    }

    /** Types from the catalog's cache, or read from the database the first time a type is seen. */
    WalEvents(Catalog catalog, ConnectionFactory connections, Map<Long, TableMetadata> subscribed) {
        this(oid -> {
            PgType cached = catalog.cachedType(oid);
            if (cached != null) {
                return cached;
            }
            try (Connection connection = connections.open()) {
                return catalog.type(connection, oid);
            }
        }, subscribed);
    }

    static Instant time(long micros) {
        return POSTGRES_EPOCH.plus(micros, ChronoUnit.MICROS);
    }

    /** Applies a relation message outside a streamed transaction. */
    void relation(Relation relation) throws SQLException {
        relations.put(relation.relid(), describe(relation));
    }

    /**
     * After a streamed transaction commits, the server counts the relations it described inside it as described for
     * the session too.
     */
    void adopt(Map<Integer, RelationInfo> described) {
        relations.putAll(described);
    }

    /** Column names, decoding types and key of a relation message. */
    RelationInfo describe(Relation relation) throws SQLException {
        List<Column> columns = new ArrayList<>();
        List<String> key = new ArrayList<>();
        for (RelationColumn column : relation.columns()) {
            columns.add(new Column(column.name(), types.type(column.typeOid())));
            if (column.key()) {
                key.add(column.name());
            }
        }
        // a table renamed while subscribed goes on under its subscribed name, as the trigger driver's does
        TableMetadata known = subscribed.get(Integer.toUnsignedLong(relation.relid()));
        TableName name = known != null ? known.name() : TableName.of(relation.schema(), relation.name());
        return new RelationInfo(name, columns, key);
    }

    /** The events of one change message, numbered from {@code index} within a transaction committed at {@code commitLsn}. */
    List<ChangeEvent> events(PgOutputMessage change, long commitLsn, int index, long xid, Instant time) {
        return events(change, commitLsn, index, xid, time, Map.of());
    }

    /**
     * The same, with relations described inside a streamed transaction ({@code overlay}) taking precedence over the
     * session's, as they describe the tables at the time of that transaction's changes.
     */
    List<ChangeEvent> events(PgOutputMessage change, long commitLsn, int index, long xid, Instant time,
            Map<Integer, RelationInfo> overlay) {
        Position position = new Position(commitLsn, index);
        if (change instanceof Insert insert) {
            RelationInfo relation = relation(insert.relid(), overlay);
            return List.of(event(Operation.INSERT, relation, row(relation, insert.newTuple()), null, Set.of(), xid, time,
                    position));
        }
        if (change instanceof Update update) {
            RelationInfo relation = relation(update.relid(), overlay);
            Row oldRow = update.oldTuple() == null ? null : oldRow(relation, update.oldTuple(), update.oldIsKeyOnly());
            Row newRow = row(relation, update.newTuple());
            boolean fullOld = oldRow != null && !update.oldIsKeyOnly();
            if (fullOld && !newRow.columns().containsAll(relation.columnNames())) {
                newRow = withUnchangedFrom(newRow, oldRow, relation);
            }
            Set<String> changed = fullOld ? RowDecoder.changedColumns(oldRow, newRow) : newRow.columns();
            return List.of(event(Operation.UPDATE, relation, newRow, oldRow, changed, xid, time, position));
        }
        if (change instanceof Delete delete) {
            RelationInfo relation = relation(delete.relid(), overlay);
            Row oldRow = oldRow(relation, delete.oldTuple(), delete.oldIsKeyOnly());
            return List.of(event(Operation.DELETE, relation, null, oldRow, Set.of(), xid, time, position));
        }
        if (change instanceof Truncate truncate) {
            List<ChangeEvent> events = new ArrayList<>();
            for (int relid : truncate.relids()) {
                events.add(event(Operation.TRUNCATE, relation(relid, overlay), null, null, Set.of(), xid, time,
                        new Position(commitLsn, index + events.size())));
            }
            return events;
        }
        throw new IllegalArgumentException("Not a change message: " + change);
    }

    private static ChangeEvent event(Operation operation, RelationInfo relation, Row newRow, Row oldRow,
            Set<String> changed, long xid, Instant time, Position position) {
        return new ChangeEvent(operation, operation, relation.name, newRow, oldRow, null, changed, xid, time, position);
    }

    private RelationInfo relation(int relid, Map<Integer, RelationInfo> overlay) {
        RelationInfo relation = overlay.getOrDefault(relid, relations.get(relid));
        if (relation == null) {
            throw new IllegalStateException("pgoutput sent a change of relation " + relid + " before describing it");
        }
        return relation;
    }

    /** pgoutput describes each relation before its rows, so its types are current: nothing read needs another look. */
    private static Row row(RelationInfo relation, TupleData tuple) {
        return RowDecoder.decode(relation.columns, tuple.values(), true);
    }

    private static Row oldRow(RelationInfo relation, TupleData tuple, boolean keyOnly) {
        Row row = row(relation, tuple);
        return keyOnly ? row.only(relation.key) : row;
    }

    /** A full old row (REPLICA IDENTITY FULL) supplies the TOASTed values the new row did not repeat. */
    private static Row withUnchangedFrom(Row newRow, Row oldRow, RelationInfo relation) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (String column : relation.columnNames()) {
            values.put(column, newRow.contains(column) ? newRow.get(column) : oldRow.get(column));
        }
        return new Row(values);
    }

    record RelationInfo(TableName name, List<Column> columns, List<String> key) {
        RelationInfo {
            columns = ColumnList.copyOf(columns); // knows each column's place, for the rows decoded with it
        }

        List<String> columnNames() {
            return columns.stream().map(Column::name).toList();
        }
    }
}
