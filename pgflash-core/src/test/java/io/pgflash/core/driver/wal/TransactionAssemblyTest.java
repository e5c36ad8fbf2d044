package io.pgflash.core.driver.wal;

import io.pgflash.core.internal.pgoutput.PgOutputMessage;
import static org.assertj.core.api.Assertions.assertThat;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.Position;
import io.pgflash.core.StreamGap;
import io.pgflash.core.driver.EventSink;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.Begin;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.Commit;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.Delete;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.Insert;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.LogicalMessage;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.Relation;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.RelationColumn;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.StreamAbort;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.StreamCommit;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.StreamStart;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.StreamStop;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.TupleData;
import io.pgflash.core.catalog.PgType;
import io.pgflash.core.internal.value.TypeOids;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How pgoutput messages become batches of events with positions, without a database. */
class TransactionAssemblyTest {

    private static final int POSTS = 16384;
    private final List<Batch> batches = new ArrayList<>();
    private final TransactionAssembly assembly = new TransactionAssembly(
            new WalEvents(oid -> new PgType(oid, oid, null, ',', "type " + oid)), new EventSink() {
                @Override
                public void accept(List<ChangeEvent> events, Position upTo) {
                    batches.add(new Batch(events, upTo));
                }

                @Override
                public void gap(StreamGap gap) {
                    throw new AssertionError("no gap expected: " + gap);
                }
            });

    private record Batch(List<ChangeEvent> events, Position upTo) {
    }

    @Test
    void aTransactionIsHandedOverAtItsCommitNumberedFromZeroAtItsCommitPosition() throws Exception {
        assembly.accept(posts());
        assembly.accept(new Begin(100, 0, 7));
        assembly.accept(insert(7, 1));
        assembly.accept(insert(7, 2));
        assertThat(batches).isEmpty();
        assertThat(assembly.betweenTransactions()).isFalse();

        assembly.accept(new Commit(100, 108, 0));

        assertThat(batches).hasSize(1);
        Batch batch = batches.get(0);
        assertThat(batch.upTo()).isEqualTo(new Position(108, 0));
        assertThat(batch.events()).extracting(ChangeEvent::position)
                .containsExactly(new Position(100, 0), new Position(100, 1));
        assertThat(batch.events()).extracting(event -> event.newRow().get("id")).containsExactly(1, 2);
        assertThat(batch.events().get(0).transactionId()).isEqualTo(7);
        assertThat(assembly.betweenTransactions()).isTrue();
    }

    @Test
    void aLargeTransactionGoesOutInChunksAndOnlyTheLastConfirms() throws Exception {
        assembly.accept(posts());
        assembly.accept(new Begin(200, 0, 8));
        int rows = TransactionAssembly.CHUNK * 2 + 5;
        for (int id = 0; id < rows; id++) {
            assembly.accept(insert(8, id));
        }
        assembly.accept(new Commit(200, 216, 0));

        assertThat(batches).extracting(Batch::upTo).containsExactly(null, null, new Position(216, 0));
        assertThat(batches.stream().mapToInt(batch -> batch.events().size()).sum()).isEqualTo(rows);
        assertThat(batches.get(2).events().get(4).position()).isEqualTo(new Position(200, rows - 1));
    }

    @Test
    void aStreamedTransactionIsHeldUntilItCommitsWithoutItsAbortedSubtransactions() throws Exception {
        assembly.accept(posts());
        assembly.accept(new StreamStart(9, true));
        assembly.accept(insert(9, 1));
        assembly.accept(insert(10, 2)); // a subtransaction that aborts
        assembly.accept(new StreamStop());
        assembly.accept(new StreamAbort(9, 10));
        assertThat(assembly.betweenTransactions()).isFalse();
        assembly.accept(new StreamStart(9, false));
        assembly.accept(new Delete(9, POSTS, new TupleData(List.of("1", "x")), false));
        assembly.accept(new StreamStop());
        assertThat(batches).isEmpty();

        assembly.accept(new StreamCommit(9, 300, 316, 0));

        assertThat(batches).hasSize(1);
        assertThat(batches.get(0).events()).extracting(ChangeEvent::operation)
                .containsExactly(Operation.INSERT, Operation.DELETE);
        assertThat(batches.get(0).events()).extracting(ChangeEvent::position)
                .containsExactly(new Position(300, 0), new Position(300, 1));
        assertThat(batches.get(0).upTo()).isEqualTo(new Position(316, 0));
        assertThat(assembly.betweenTransactions()).isTrue();
    }

    @Test
    void aStreamedTransactionThatAbortsIsDropped() throws Exception {
        assembly.accept(posts());
        assembly.accept(new StreamStart(11, true));
        assembly.accept(insert(11, 1));
        assembly.accept(new StreamStop());

        assembly.accept(new StreamAbort(11, 11));

        assertThat(batches).isEmpty();
        assertThat(assembly.betweenTransactions()).isTrue();
    }

    @Test
    void aHeartbeatIsAnEmptyBatchAtItsPositionAndOtherMessagesAreNot() throws Exception {
        assembly.accept(new LogicalMessage(0, false, 400, TransactionAssembly.HEARTBEAT_PREFIX, new byte[0]));
        assembly.accept(new LogicalMessage(0, false, 500, "someone-else", new byte[0]));

        assertThat(batches).containsExactly(new Batch(List.of(), new Position(400, 0)));
    }

    @Test
    void aResetDropsAHalfReadTransaction() throws Exception {
        assembly.accept(posts());
        assembly.accept(new Begin(600, 0, 12));
        assembly.accept(insert(12, 1));

        assembly.reset();
        assembly.accept(new Begin(600, 0, 12));
        assembly.accept(insert(12, 1));
        assembly.accept(new Commit(600, 608, 0));

        assertThat(batches).singleElement().satisfies(batch -> assertThat(batch.events()).hasSize(1));
    }

    private static Relation posts() {
        return new Relation(0, POSTS, "public", "posts", 'd', List.of(new RelationColumn("id", TypeOids.INT4, true),
                new RelationColumn("title", TypeOids.TEXT, false)));
    }

    private static Insert insert(int xid, int id) {
        return new Insert(xid, POSTS, new TupleData(List.of(String.valueOf(id), "title " + id)));
    }
}
