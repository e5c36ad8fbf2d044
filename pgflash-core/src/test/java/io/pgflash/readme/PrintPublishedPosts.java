package io.pgflash.readme;

// README-START
import io.pgflash.core.Operation;
import io.pgflash.core.PgFlash;
import io.pgflash.core.SubscriptionSpec;

public class PrintPublishedPosts {

    public static void main(String[] args) throws InterruptedException {
        PgFlash flash = PgFlash.builder()
                .jdbcUrl(System.getenv("PG_URL"), System.getenv("PG_USER"), System.getenv("PG_PASSWORD"))
                .build();
        Runtime.getRuntime().addShutdownHook(new Thread(flash::close)); // Ctrl-C: deliver what was read, then stop
        flash.start();
        flash.subscribe(SubscriptionSpec.table("posts")
                        .operations(Operation.INSERT, Operation.UPDATE)
                        .filter("status=eq.published")
                        .build(),
                event -> System.out.println(event.operation() + " " + event.newRow().get("title")));
        Thread.currentThread().join(); // pgflash's threads are daemons: keep the program running
    }
}
// README-END
