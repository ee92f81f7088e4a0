exports.handler = __f0;

var __provider = {configure: __f1, check: __f2, diff: __f3, create: __f4, read: __f5, update: __f6, delete: __f7};

function __implementation() {
  return (function() {
    with({ implementationModule: "providers/unmanagedRemovalProvider.js", implementation: __implementation, this: undefined, arguments: undefined }) {

return async function /*implementation*/() {
  const { pathToFileURL } = await import("node:url");
  return (await import(pathToFileURL(`${process.cwd()}/${implementationModule}`).href))
    .unmanagedRemovalProvider;
};

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f1(__0) {
  return (function() {
    with({ implementation: __implementation, this: undefined, arguments: undefined }) {

return async function /*configure*/(req) {
    return (await implementation()).configure(req);
  };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f2(__0, __1) {
  return (function() {
    with({ implementation: __implementation, this: undefined, arguments: undefined }) {

return async function /*check*/(olds, news) {
    return (await implementation()).check(olds, news);
  };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f3(__0, __1, __2) {
  return (function() {
    with({ implementation: __implementation, this: undefined, arguments: undefined }) {

return async function /*diff*/(id, olds, news) {
    return (await implementation()).diff(id, olds, news);
  };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f4(__0) {
  return (function() {
    with({ implementation: __implementation, this: undefined, arguments: undefined }) {

return async function /*create*/(inputs) {
    return (await implementation()).create(inputs);
  };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f5(__0, __1) {
  return (function() {
    with({ implementation: __implementation, this: undefined, arguments: undefined }) {

return async function /*read*/(id, props) {
    return (await implementation()).read(id, props);
  };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f6(__0, __1, __2) {
  return (function() {
    with({ implementation: __implementation, this: undefined, arguments: undefined }) {

return async function /*update*/(id, olds, news) {
    return (await implementation()).update(id, olds, news);
  };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f7(__0, __1) {
  return (function() {
    with({ implementation: __implementation, this: undefined, arguments: undefined }) {

return async function /*delete*/(id, props) {
    return (await implementation()).delete(id, props);
  };

    }
  }).apply(undefined, undefined).apply(this, arguments);
}

function __f0() {
  return (function() {
    with({ provider: __provider, this: undefined, arguments: undefined }) {

return () => provider;

    }
  }).apply(undefined, undefined).apply(this, arguments);
}
