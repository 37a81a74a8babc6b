/*
 * Hadoop's local file system, without a `chmod` process for each directory and file it makes.
 *
 * Without Hadoop's native library (pip's pyspark has none), RawLocalFileSystem.setPermission
 * starts `chmod` in a new process, and Hadoop calls it for every directory and file it
 * creates: about 200 processes of some 10 ms each in a run on the small test data. This sets
 * the same permission bits through java.nio; everything else is Hadoop's LocalFileSystem.
 *
 * The jar next to this file is built from it (tests/platform/test_forkless_fs.py checks that):
 *   javac --release 17 -cp "$(python -c 'import pyspark, os; print(os.path.dirname(pyspark.__file__))')/jars/*" \
 *       -d /tmp/forkless utils/platform/jvm/ForklessLocalFileSystem.java
 *   jar --create --file utils/platform/jvm/forkless-local-fs.jar -C /tmp/forkless .
 */
package datamart.hadoop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;

public class ForklessLocalFileSystem extends LocalFileSystem {
  public ForklessLocalFileSystem() {
    super(new Raw());
  }

  /** RawLocalFileSystem with setPermission through java.nio. */
  public static class Raw extends RawLocalFileSystem {
    // Bit i of a Unix mode, lowest first: others x, w, r; group x, w, r; owner x, w, r.
    private static final PosixFilePermission[] MODE_BITS = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ,
    };

    @Override
    public void setPermission(Path path, FsPermission permission) throws IOException {
      short mode = permission.toShort();
      if ((mode & ~0777) != 0) { // the sticky bit: java.nio cannot set it, chmod can
        super.setPermission(path, permission);
        return;
      }
      Set<PosixFilePermission> bits = EnumSet.noneOf(PosixFilePermission.class);
      for (int bit = 0; bit < MODE_BITS.length; bit++) {
        if ((mode & (1 << bit)) != 0) {
          bits.add(MODE_BITS[bit]);
        }
      }
      try {
        Files.setPosixFilePermissions(pathToFile(path).toPath(), bits);
      } catch (UnsupportedOperationException notPosix) { // a file system without Unix permissions
        super.setPermission(path, permission);
      }
    }
  }
}
