#ifndef LEVY_REMOVED_H
#define LEVY_REMOVED_H
/* The files levy.files.remove set aside: <data_dir>/files/.removed/<dir>/<name>, each kept
 * LEVY_FILES_REMOVED_KEEP_S after its removal (its ctime: the rename sets it) so that a
 * `levy backup` in progress still finds the file of a row its snapshot holds, then erased.
 * Erased on the next levy.files.remove of that folder (core/lua/bind_files.c) and on the
 * host's timer every LEVY_FILES_PURGE_EVERY_S for every folder (core/host/host.c), so a
 * removal that no other one follows is still gone a day later. */

/* Erases the regular files of <data_dir>/files/.removed/<dir> (dir NULL: of every folder
 * there) removed more than LEVY_FILES_REMOVED_KEEP_S ago by levy_clock_now_ms() (the test
 * hook moves it). Missing folders are nothing to do. Returns the number of files erased. */
int levy_files_purge_removed(const char *data_dir, const char *dir);

#endif
