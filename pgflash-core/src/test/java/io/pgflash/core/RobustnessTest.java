package io.pgflash.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgflash.core.driver.trigger.NotifyDriver;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What listeners, other roles and schema changes must not break. */
class RobustnessTest extends FlashTestBase {

    @BeforeEach
    void table() {
        db.execute("DROP TABLE IF EXISTS items CASCADE", "CREATE TABLE items (id int PRIMARY KEY, status text)");
    }

    @Test
    void unsignedAndMalformedNotificationsAreIgnoredWithoutAGap() throws Exception {
        PgFlash flash = startFlash();
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("items").build(), recorder);
        long oid = queryLong("SELECT 'items'::regclass::oid");

        // any role can NOTIFY on the channel: neither garbage nor a well-formed forgery may become an event
        db.execute("NOTIFY pgflash, 'garbage'",
                "NOTIFY pgflash, '1|" + oid + "|I|1|0|7:N(7,xx)'",
                "NOTIFY pgflash, '00000000000000000000000000000000|1|" + oid + "|I|1|0|7:N(7,xx)'",
                "INSERT INTO items VALUES (1, 'real')");

        assertThat(recorder.awaitSingle().newRow().get("status")).isEqualTo("real");
        db.execute("INSERT INTO items VALUES (2, 'real')");
        assertThat(recorder.awaitEvents(2)).hasSize(2);
        assertThat(recorder.gaps).isEmpty();
    }

    @Test
    void droppingAFilteredColumnSkipsThatSubscriptionOnly() {
        PgFlash flash = startFlash();
        Recorder filtered = new Recorder();
        Recorder all = new Recorder();
        flash.subscribe(SubscriptionSpec.table("items").filter("status=eq.a").build(), filtered);
        flash.subscribe(SubscriptionSpec.table("items").build(), all);

        db.execute("ALTER TABLE items DROP COLUMN status", "INSERT INTO items VALUES (1)", "INSERT INTO items VALUES (2)");

        assertThat(all.awaitEvents(2)).extracting(e -> e.newRow().get("id")).containsExactly(1, 2);
        assertThat(filtered.events()).isEmpty();
        assertThat(all.gaps).isEmpty();
    }

    @Test
    void closeReturnsWithinTheShutdownTimeoutWhenAListenerIsStuck() {
        PgFlash flash = PgFlash.builder().jdbcUrl(db.jdbcUrl(), db.user(), db.password())
                .shutdownTimeout(Duration.ofMillis(500)).build();
        flash.start();
        CountDownLatch never = new CountDownLatch(1);
        AtomicInteger started = new AtomicInteger();
        flash.subscribe(SubscriptionSpec.table("items").build(), event -> {
            started.incrementAndGet();
            never.await();
        });
        // more than the subscription's queue holds, so the driver waits on it
        db.execute("INSERT INTO items SELECT g, 's' FROM generate_series(1, 3000) g");
        await().until(() -> started.get() == 1);

        Thread closer = new Thread(flash::close);
        closer.start();

        await().atMost(Duration.ofSeconds(20)).until(() -> !closer.isAlive());
        assertThat(triggerCount("items")).isZero();
    }

    @Test
    void aListenerCanCancelItsOwnSubscription() {
        PgFlash flash = startFlash();
        AtomicReference<Subscription> self = new AtomicReference<>();
        AtomicInteger calls = new AtomicInteger();
        self.set(flash.subscribe(SubscriptionSpec.table("items").build(), event -> {
            calls.incrementAndGet();
            self.get().cancel();
        }));

        db.execute("INSERT INTO items VALUES (1, 'a')", "INSERT INTO items VALUES (2, 'b')");

        await().atMost(Duration.ofSeconds(10)).until(() -> !self.get().isActive());
        // the client is not left locked: another subscription works at once
        Recorder next = new Recorder();
        flash.subscribe(SubscriptionSpec.table("items").build(), next);
        db.execute("INSERT INTO items VALUES (3, 'c')");
        assertThat(next.awaitSingle().newRow().get("id")).isEqualTo(3);
        assertThat(calls).hasValue(1);
    }

    @Test
    void aListenerThrowingInterruptedExceptionFollowsTheErrorPolicy() {
        PgFlash flash = startFlash();
        Recorder recorder = new Recorder();
        flash.subscribe(SubscriptionSpec.table("items").errorPolicy(ErrorPolicy.skip()).build(), event -> {
            if (event.newRow().get("id").equals(1)) {
                throw new InterruptedException("the listener's own");
            }
            recorder.onChange(event);
        });

        db.execute("INSERT INTO items VALUES (1, 'a')", "INSERT INTO items VALUES (2, 'b')");

        assertThat(recorder.awaitSingle().newRow().get("id")).isEqualTo(2);
    }

    @Test
    void schemaIsNotDroppedWhileAnotherApplicationListens() {
        PgFlash leaving = startFlash(NotifyDriver.builder().schema("shared_schema").removeSchemaOnShutdown(true).build());
        PgFlash staying = startFlash(NotifyDriver.builder().schema("shared_schema").build());
        leaving.subscribe(SubscriptionSpec.table("items").build(), event -> { });

        leaving.close();

        Recorder recorder = new Recorder();
        staying.subscribe(SubscriptionSpec.table("items").build(), recorder);
        db.execute("INSERT INTO items VALUES (1, 'a')");
        assertThat(recorder.awaitSingle().newRow().get("id")).isEqualTo(1);
    }
}
