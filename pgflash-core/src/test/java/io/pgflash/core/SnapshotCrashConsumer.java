package io.pgflash.core;

import io.pgflash.core.driver.trigger.DurableDriver;
import io.pgflash.core.driver.wal.WalDriver;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * The consumer {@link SnapshotCrashTest} runs in a JVM of its own and kills: subscription "mirror" of table mirrored
 * with an initial snapshot in chunks of {@value #CHUNK} rows. It appends a line per event ("READ 5 title/0",
 * "DELETE 5") and per notice ("NOTICE RESUMED 1500") to a file before the event counts as handled, and never closes.
 * Arguments: jdbcUrl user password group file wal|durable holdAt (the READ its listener holds for ever; 0: none).
 */
public final class SnapshotCrashConsumer {

    static final int CHUNK = 500;

    private SnapshotCrashConsumer() {
    }

    public static void main(String[] args) throws Exception {
        OutputStream out = new FileOutputStream(args[4], true);
        int holdAt = Integer.parseInt(args[6]);
        PgFlash flash = PgFlash.builder().jdbcUrl(args[0], args[1], args[2])
                .driver(args[5].equals("durable") ? DurableDriver.builder().group(args[3]).build()
                        : WalDriver.builder().group(args[3]).statusInterval(Duration.ofMillis(100))
                                .replicaIdentityFull(true).build()) // split key changes need the old rows
                .snapshotChunkSize(CHUNK)
                .build();
        flash.subscribe(SubscriptionSpec.table("mirrored").id("mirror").splitKeyChanges(true)
                .snapshot(SnapshotMode.INITIAL).build(), new ChangeListener() {
                    private int reads;

                    @Override
                    public void onChange(ChangeEvent event) throws Exception {
                        Row row = event.newRow();
                        write(event.operation() + " " + event.key().get("id") + (event.operation() == Operation.DELETE
                                ? "" : " " + String.valueOf(row.get("title")).replace(' ', '_') + "/" + row.get("version")));
                        if (event.operation() == Operation.READ && ++reads == holdAt) {
                            new CountDownLatch(1).await(); // until killed
                        }
                    }

                    @Override
                    public void onSnapshot(SnapshotNotice notice) {
                        write("NOTICE " + notice.phase() + " " + notice.rows());
                    }

                    private void write(String line) {
                        try {
                            out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                            out.flush();
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }
                });
        flash.start();
        System.out.println("READY");
        System.out.flush();
        Thread.currentThread().join();
    }
}
