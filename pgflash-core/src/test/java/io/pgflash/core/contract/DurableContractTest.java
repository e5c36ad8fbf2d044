package io.pgflash.core.contract;

import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.trigger.DurableDriver;
import java.time.Duration;

/** The driver contract for the durable mode (triggers into an event table, a cursor per consumer group). */
class DurableContractTest extends GroupDriverContract {

    private static int groups;

    @Override
    protected ChangeDriver newDriver() {
        return DurableDriver.builder().group("contract_" + (++groups)).build();
    }

    @Override
    protected String readerThread(ChangeDriver driver) {
        return "pgflash-durable-" + ((DurableDriver) driver).group();
    }

    @Override
    protected ChangeDriver groupMember(String group, Duration standbyInterval) {
        return DurableDriver.builder().group(group).standbyInterval(standbyInterval).build();
    }
}
