package bankseg.hiveserver2;

import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.SparkSessionExtensions;
import org.apache.spark.sql.catalyst.CurrentUserContext;
import org.apache.spark.sql.catalyst.catalog.CatalogTable;
import org.apache.spark.sql.catalyst.catalog.HiveTableRelation;
import org.apache.spark.sql.catalyst.expressions.CallMethodViaReflection;
import org.apache.spark.sql.catalyst.expressions.Expression;
import org.apache.spark.sql.catalyst.plans.logical.Command;
import org.apache.spark.sql.catalyst.plans.logical.LogicalPlan;
import org.apache.spark.sql.catalyst.plans.logical.View;
import org.apache.spark.sql.execution.command.AddArchivesCommand;
import org.apache.spark.sql.execution.command.AddFilesCommand;
import org.apache.spark.sql.execution.command.AddJarsCommand;
import org.apache.spark.sql.execution.command.CreateFunctionCommand;
import org.apache.spark.sql.execution.command.SetCommand;
import org.apache.spark.sql.execution.datasources.LogicalRelation;
import scala.Function1;
import scala.runtime.BoxedUnit;

/**
 * What a HiveServer2 session may run, checked on every analysed statement before it runs
 * (spark.sql.extensions=bankseg.hiveserver2.SessionGuard; bankseg/hiveserver2.py says why).
 *
 * <p>Every user: no code loaded into the server (ADD JAR, ADD FILE, ADD ARCHIVE, CREATE FUNCTION),
 * no Java methods called from SQL (reflect, java_method), and file queries stay off
 * (SET spark.sql.runSQLOnFiles is refused).
 *
 * <p>Every user but the service user (BANKSEG_HIVE_SERVICE_USER), that is analysts: queries and
 * read-only commands only (SHOW, DESCRIBE, EXPLAIN, USE, SET to read a setting), and no table of
 * the restricted database (BANKSEG_HIVE_RESTRICTED_DATABASE) except through a view of the
 * analysts' database (BANKSEG_HIVE_DATABASE), which the service user created.
 */
public final class SessionGuard implements Function1<SparkSessionExtensions, BoxedUnit> {
    private static final String SERVICE_USER = setting("BANKSEG_HIVE_SERVICE_USER", "bankseg");
    private static final String DATABASE = setting("BANKSEG_HIVE_DATABASE", "bank");
    private static final String RESTRICTED_DATABASE = setting("BANKSEG_HIVE_RESTRICTED_DATABASE", "bank_restricted");
    private static final String RUN_SQL_ON_FILES = "spark.sql.runSQLOnFiles";
    private static final String VIEW_RESOLUTION = "org.apache.spark.sql.catalyst.analysis.ViewResolution$";

    private static String setting(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isEmpty() ? fallback : value;
    }

    @Override
    public BoxedUnit apply(SparkSessionExtensions extensions) {
        Function1<LogicalPlan, BoxedUnit> rule = plan -> {
            check(plan, CurrentUserContext.getCurrentUser());
            return BoxedUnit.UNIT;
        };
        Function1<SparkSession, Function1<LogicalPlan, BoxedUnit>> builder = session -> rule;
        extensions.injectCheckRule(builder);
        return BoxedUnit.UNIT;
    }

    /** Refuses {@code plan} for {@code user} (null outside a HiveServer2 session), saying why. */
    static void check(LogicalPlan plan, String user) {
        if (checkingViewBody()) {
            // Spark checks a view's body on its own while it resolves the view, without the view
            // around it. The statement's own check follows; it sees the view, and so whether the
            // body may read the restricted database.
            return;
        }
        boolean analyst = !SERVICE_USER.equals(user);
        walk(plan, user, analyst, false);
    }

    private static void walk(LogicalPlan plan, String user, boolean analyst, boolean insideTrustedView) {
        if (plan instanceof AddJarsCommand || plan instanceof AddFilesCommand || plan instanceof AddArchivesCommand
                || plan instanceof CreateFunctionCommand) {
            refuse("loading code into the server (ADD JAR, ADD FILE, ADD ARCHIVE, CREATE FUNCTION) is disabled");
        }
        if (plan instanceof SetCommand) {
            checkSet((SetCommand) plan);
        } else if (analyst && plan instanceof Command && !isReadOnly(plan)) {
            refuse("user '" + user + "' may only read: " + plan.nodeName() + " is for the service user");
        }
        for (scala.collection.Iterator<Expression> expressions = plan.expressions().iterator(); expressions.hasNext(); ) {
            checkExpression(expressions.next());
        }
        boolean trusted = insideTrustedView;
        if (plan instanceof View) {
            View view = (View) plan;
            trusted = trusted || (!view.isTempView() && inDatabase(view.desc(), DATABASE));
        }
        if (analyst && !trusted && readsRestrictedTable(plan)) {
            refuse("user '" + user + "' may not read database " + RESTRICTED_DATABASE + ": use the views of database " + DATABASE);
        }
        for (scala.collection.Iterator<LogicalPlan> children = plan.children().iterator(); children.hasNext(); ) {
            walk(children.next(), user, analyst, trusted);
        }
        for (scala.collection.Iterator<LogicalPlan> subqueries = plan.subqueries().iterator(); subqueries.hasNext(); ) {
            walk(subqueries.next(), user, analyst, trusted);
        }
    }

    private static boolean checkingViewBody() {
        return StackWalker.getInstance().walk(frames -> frames.anyMatch(frame -> frame.getClassName().equals(VIEW_RESOLUTION)));
    }

    private static boolean isReadOnly(LogicalPlan command) {
        String name = command.getClass().getSimpleName();
        return name.startsWith("Show") || name.startsWith("Describe") || name.startsWith("Explain")
                || name.equals("SetNamespaceCommand") || name.equals("SetCatalogAndNamespace") || name.equals("SetCatalogCommand");
    }

    private static void checkSet(SetCommand set) {
        if (set.kv().isEmpty()) {
            return; // SET: lists the settings
        }
        String key = set.kv().get()._1().trim();
        boolean changes = set.kv().get()._2().isDefined();
        if (changes && key.equalsIgnoreCase(RUN_SQL_ON_FILES)) {
            refuse("file queries are disabled on this server: " + RUN_SQL_ON_FILES + " cannot be changed");
        }
    }

    private static void checkExpression(Expression expression) {
        if (expression instanceof CallMethodViaReflection) {
            refuse("calling Java methods from SQL (reflect, java_method) is disabled");
        }
        for (scala.collection.Iterator<Expression> children = expression.children().iterator(); children.hasNext(); ) {
            checkExpression(children.next());
        }
    }

    private static boolean readsRestrictedTable(LogicalPlan plan) {
        if (plan instanceof HiveTableRelation) {
            return inDatabase(((HiveTableRelation) plan).tableMeta(), RESTRICTED_DATABASE);
        }
        if (plan instanceof LogicalRelation) {
            scala.Option<CatalogTable> table = ((LogicalRelation) plan).catalogTable();
            return table.isDefined() && inDatabase(table.get(), RESTRICTED_DATABASE);
        }
        return false;
    }

    private static boolean inDatabase(CatalogTable table, String database) {
        scala.Option<String> name = table.identifier().database();
        return name.isDefined() && name.get().equalsIgnoreCase(database);
    }

    private static void refuse(String message) {
        throw new SecurityException("bankseg HiveServer2: " + message);
    }
}
