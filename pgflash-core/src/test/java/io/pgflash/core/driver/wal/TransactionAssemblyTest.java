package io.pgflash.core.driver.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgflash.core.ChangeEvent;
import io.pgflash.core.Operation;
import io.pgflash.core.Position;
import io.pgflash.core.StreamGap;
import io.pgflash.core.driver.EventSink;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.Begin;
import io.pgflash.core.internal.pgoutput.PgOutputMessage.Commit;
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
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How pgoutput messages become batches of events with positions, without a database. */
class TransactionAssemblyTest {

    private static final int POSTS = 16384;
    @TempDir
    Path spillDirectory;
    private final List<Batch> batches = new ArrayList<>();
    private TransactionAssembly assembly;

    @BeforeEach
    void assembly() {
        assembly = assembly(new StreamedTransactions(1 << 20, spillDirectory));
    }

    private TransactionAssembly assembly(StreamedTransactions streamed) {
        EventSink sink = new EventSink() {
            @Override
            public void accept(List<ChangeEvent> events, Position upTo) {
                batches.add(new Batch(events, upTo));
            }

            @Override
            public void gap(StreamGap gap) {
                throw new AssertionError("no gap expected: " + gap);
            }
        };
        return new TransactionAssembly(new WalEvents(oid -> new PgType(oid, oid, null, ',', "type " + oid)), sink,
                streamed);
    }

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
        assembly.accept(streamedChange('I', 9, "1", "one"));
        assembly.accept(streamedChange('I', 10, "2", "two")); // a subtransaction that aborts
        assembly.accept(new StreamStop());
        assembly.accept(new StreamAbort(9, 10));
        assertThat(assembly.betweenTransactions()).isFalse();
        assembly.accept(new StreamStart(9, false));
        assembly.accept(streamedChange('D', 9, "1", "x"));
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
    void aStreamedTransactionPastTheMemoryBoundIsReplayedInOrderFromItsFile() throws Exception {
        StreamedTransactions streamed = new StreamedTransactions(4096, spillDirectory);
        assembly = assembly(streamed);
        assembly.accept(posts());
        assembly.accept(new StreamStart(13, true));
        int rows = TransactionAssembly.CHUNK * 4;
        for (int id = 0; id < rows; id++) {
            // every other row in a subtransaction that aborts, also past the bound
            assembly.accept(streamedChange('I', id % 2 == 0 ? 13 : 14, String.valueOf(id), "title " + id));
        }
        assembly.accept(new StreamStop());
        assembly.accept(new StreamAbort(13, 14));
        assertThat(streamed.held()).as("bytes held in the heap").isLessThanOrEqualTo(4096);
        try (var files = Files.list(spillDirectory)) {
            assertThat(files).as("the file is unlinked while open").isEmpty();
        }

        assembly.accept(new StreamCommit(13, 700, 716, 0));

        List<ChangeEvent> events = batches.stream().flatMap(batch -> batch.events().stream()).toList();
        assertThat(events).extracting(event -> event.newRow().get("id"))
                .containsExactlyElementsOf(IntStream.range(0, rows).filter(id -> id % 2 == 0).boxed().toList());
        assertThat(batches).extracting(Batch::upTo).last().isEqualTo(new Position(716, 0));
        assertThat(assembly.betweenTransactions()).isTrue();
    }

    @Test
    void aSpillDirectoryThatCannotBeWrittenIsNamedWithTheSettingToChange() throws Exception {
        Path missing = spillDirectory.resolve("missing");
        assembly = assembly(new StreamedTransactions(0, missing));
        assembly.accept(posts());
        assembly.accept(new StreamStart(15, true));

        assertThatThrownBy(() -> assembly.accept(streamedChange('I', 15, "1", "one")))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("pgflash.wal.spill-directory");
    }

    @Test
    void aStreamedTransactionThatAbortsIsDropped() throws Exception {
        assembly.accept(posts());
        assembly.accept(new StreamStart(11, true));
        assembly.accept(streamedChange('I', 11, "1", "one"));
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

    /** A change as pgoutput sends it inside a streamed transaction: its (sub)transaction id first. */
    private static ByteBuffer streamedChange(char kind, int xid, String id, String title) {
        ByteBuffer buffer = ByteBuffer.allocate(256);
        buffer.put((byte) kind).putInt(xid).putInt(POSTS).put((byte) (kind == 'I' ? 'N' : 'K')).putShort((short) 2);
        for (String value : List.of(id, title)) {
            byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
            buffer.put((byte) 't').putInt(bytes.length).put(bytes);
        }
        return buffer.flip();
    }

    private static Insert insert(int xid, int id) {
        return new Insert(xid, POSTS, new TupleData(List.of(String.valueOf(id), "title " + id)));
    }
}
