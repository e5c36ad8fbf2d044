/**
 * The driver SPI: {@link io.pgflash.core.driver.ChangeDriver} and the one reader runtime
 * ({@link io.pgflash.core.driver.ReaderRuntime}, {@link io.pgflash.core.driver.ReadingSession}) a driver is built
 * on. Non-null by default.
 */
@NullMarked
package io.pgflash.core.driver;

import org.jspecify.annotations.NullMarked;
