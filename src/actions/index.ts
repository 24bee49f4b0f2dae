export { packages, type PackagesArgs } from './package.ts';
export { file, type FileArgs, type FileOptions } from './file.ts';
export { directory, type DirectoryArgs } from './directory.ts';
export { service, type ServiceArgs, type ServiceOptions } from './service.ts';
export { execChecked, type ExecArgs } from './exec.ts';
export { user, type UserArgs, type UserOptions } from './user.ts';
export { defineAction, action, type Action, type ActionDef, type ActionResult, type Step, type Target } from './types.ts';
export { symlink, type SymlinkArgs } from './symlink.ts';
export { absent, type AbsentArgs } from './absent.ts';
