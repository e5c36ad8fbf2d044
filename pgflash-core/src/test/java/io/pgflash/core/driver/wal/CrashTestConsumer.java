package io.pgflash.core.driver.wal;

import io.pgflash.core.PgFlash;
import io.pgflash.core.SubscriptionSpec;
import io.pgflash.core.driver.trigger.DurableDriver;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The consumer {@link WalCrashTest} runs in a JVM of its own and kills: it appends "id position" per event to a file
 * (before the event counts as handled) and never closes.
 * Arguments: jdbcUrl user password group file [wal|wal-streaming|durable [table]].
 */
public final class CrashTestConsumer {

    private CrashTestConsumer() {
    }

    public static void main(String[] args) throws Exception {
        OutputStream out = new FileOutputStream(args[4], true);
        String driver = args.length > 5 ? args[5] : "wal";
        String table = args.length > 6 ? args[6] : "crash_items";
        PgFlash flash = PgFlash.builder().jdbcUrl(args[0], args[1], args[2])
                .driver(driver.equals("durable") ? DurableDriver.builder().group(args[3]).build()
                        : WalDriver.builder().group(args[3]).statusInterval(Duration.ofMillis(100))
                                .streaming(driver.equals("wal-streaming")).build())
                .build();
        flash.subscribe(SubscriptionSpec.table(table).build(), event -> {
            out.write((event.newRow().get("id") + " " + event.position() + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        });
        flash.start(); // after subscribing, so what the slot replays finds its subscription
        System.out.println("READY");
        System.out.flush();
        Thread.currentThread().join();
    }
}
