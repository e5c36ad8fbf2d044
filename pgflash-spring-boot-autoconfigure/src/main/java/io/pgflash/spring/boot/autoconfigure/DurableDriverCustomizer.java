package io.pgflash.spring.boot.autoconfigure;

import io.pgflash.core.driver.trigger.DurableDriver;

/**
 * Tunes the durable mode's builder after the properties are applied, without replacing the driver bean. Beans of
 * this type are applied in their order when {@code pgflash.trigger.mode=durable}.
 */
@FunctionalInterface
public interface DurableDriverCustomizer {

    void customize(DurableDriver.Builder builder);
}
