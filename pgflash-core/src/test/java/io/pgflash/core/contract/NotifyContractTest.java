package io.pgflash.core.contract;

import io.pgflash.core.driver.ChangeDriver;
import io.pgflash.core.driver.trigger.TriggerDriver;

/** The driver contract for the notify mode (triggers and LISTEN/NOTIFY, nothing kept while no one listens). */
class NotifyContractTest extends DriverContract {

    @Override
    protected ChangeDriver newDriver() {
        return TriggerDriver.builder().build();
    }

    @Override
    protected String readerThread(ChangeDriver driver) {
        return "pgflash-trigger-listener";
    }
}
