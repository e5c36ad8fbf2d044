package io.pgflash.core.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.core.Operation;
import io.pgflash.core.PgFlash;
import io.pgflash.core.Recorder;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.trigger.NotifyDriver;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The driver contract for the notify mode (triggers and LISTEN/NOTIFY, nothing kept while no one listens). */
class NotifyContractTest extends DriverContract {

    @Override
    protected ChangeDriver newDriver() {
        return NotifyDriver.builder().build();
    }

    @Override
    protected String readerThread(ChangeDriver driver) {
        return "pgflash-notify-listener";
    }

    /** The notify mode's documented difference: what is written while no session listens is not kept. */
    @Override
    @Test
    protected void changesWrittenWhileStoppedArriveAfterTheNextStart() {
        Recorder recorder = new Recorder();
        PgFlash flash = started(SubscriptionSpec.table("posts").operations(Operation.INSERT).build(), recorder);
        db.execute("INSERT INTO posts VALUES (1, 'before')");
        recorder.awaitSingle();

        flash.stop();
        db.execute("INSERT INTO posts VALUES (2, 'while stopped')");
        flash.start();
        db.execute("INSERT INTO posts VALUES (3, 'after')");

        assertThat(recorder.awaitEvents(2)).extracting(event -> event.newRow().get("id")).containsExactly(1, 3);
    }

    /**
     * The notify mode's documented difference: it reconnects by itself, but what was committed while it reconnected
     * may be gone, and the listeners are told of the gap.
     */
    @Override
    @Test
    protected void aReadingSessionTheServerEndsIsReplacedWithoutLosingCommittedRows() {
        Recorder recorder = new Recorder();
        started(SubscriptionSpec.table("posts").operations(Operation.INSERT).build(), recorder);
        db.execute("INSERT INTO posts VALUES (1, 'before')");
        recorder.awaitSingle();

        endReadingSessions();

        AtomicInteger next = new AtomicInteger(1);
        await().untilAsserted(() -> {
            db.execute("INSERT INTO posts VALUES (" + next.incrementAndGet() + ", 'after')");
            assertThat(recorder.count()).isGreaterThan(1);
        });
        assertThat(recorder.gaps).isNotEmpty();
    }
}
