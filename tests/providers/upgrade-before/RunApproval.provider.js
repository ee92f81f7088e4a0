exports.handler = __f0;

var __provider = {configure: __f1, check: __f2, diff: __f3, create: __f4, read: __f5, update: __f6, delete: __f7};

function __implementation() {
  return (() => {
    with({ implementationModule: "providers/runApprovalProvider.js", implementation: __implementation, this: undefined, arguments: undefined }) {

return async () => {
    const { pathToFileURL } = await import("node:url");
    return (await import(pathToFileURL(`${process.cwd()}/${implementationModule}`).href)).runApprovalProvider;
};

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f1(__0) {
  return (() => {
    with({ implementation: __implementation, this: undefined, arguments: undefined }) {

return async (req) => (await implementation()).configure(req);

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f2(__0, __1) {
  return (() => {
    with({ implementation: __implementation, this: undefined, arguments: undefined }) {

return async (olds, news) => (await implementation()).check(olds, news);

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f3(__0, __1, __2) {
  return (() => {
    with({ implementation: __implementation, this: undefined, arguments: undefined }) {

return async (id, olds, news) => (await implementation()).diff(id, olds, news);

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f4(__0) {
  return (() => {
    with({ implementation: __implementation, this: undefined, arguments: undefined }) {

return async (inputs) => (await implementation()).create(inputs);

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f5(__0, __1) {
  return (() => {
    with({ implementation: __implementation, this: undefined, arguments: undefined }) {

return async (id, props) => (await implementation()).read(id, props);

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f6(__0, __1, __2) {
  return (() => {
    with({ implementation: __implementation, this: undefined, arguments: undefined }) {

return async (id, olds, news) => (await implementation()).update(id, olds, news);

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f7(__0, __1) {
  return (() => {
    with({ implementation: __implementation, this: undefined, arguments: undefined }) {

return async (id, props) => (await implementation()).delete(id, props);

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f0() {
  return (() => {
    with({ provider: __provider, this: undefined, arguments: undefined }) {

return () => provider;

    }
  }).apply(undefined, undefined).apply(this, arguments);
}
