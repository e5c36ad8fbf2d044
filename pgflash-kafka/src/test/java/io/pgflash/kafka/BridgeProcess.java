package io.pgflash.kafka;

import io.pgflash.core.PgFlash;
import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.trigger.DurableDriver;
import io.pgflash.core.driver.wal.WalDriver;
import java.util.Map;

/**
 * A publishing application of its own, for {@link BridgeCrashTest} to kill: args are the JDBC URL, user, password,
 * consumer group, driver ({@code wal} or {@code durable}), table and the brokers. Prints READY once publishing.
 */
public final class BridgeProcess {

    public static void main(String[] args) throws Exception {
        ChangeDriver driver = args[4].equals("wal") ? WalDriver.builder().group(args[3]).build()
                : DurableDriver.builder().group(args[3]).build();
        PgFlash flash = PgFlash.builder().jdbcUrl(args[0], args[1], args[2]).driver(driver).build();
        KafkaBridge bridge = KafkaBridge.builder().producer(Map.of("bootstrap.servers", args[6], "linger.ms", 5))
                .route(KafkaRoute.table(args[5])).build();
        bridge.subscribe(flash);
        flash.start();
        System.out.println("READY");
        Thread.sleep(Long.MAX_VALUE); // until killed
    }
}
