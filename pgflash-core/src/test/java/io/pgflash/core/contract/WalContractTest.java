package io.pgflash.core.contract;

import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.wal.WalDriver;
import java.time.Duration;

/** The driver contract for the WAL driver (logical replication with pgoutput, a slot per consumer group). */
class WalContractTest extends GroupDriverContract {

    /** With REPLICA IDENTITY FULL set, as a subscription that needs old rows requires on this driver. */
    @Override
    protected ChangeDriver newDriver() {
        return walDriver().replicaIdentityFull(true).build();
    }

    @Override
    protected String readerThread(ChangeDriver driver) {
        return "pgflash-wal-" + ((WalDriver) driver).slotName();
    }

    @Override
    protected ChangeDriver groupMember(String group, Duration standbyInterval) {
        return WalDriver.builder().group(group).standbyInterval(standbyInterval).dropSlotOnShutdown(true).build();
    }
}
